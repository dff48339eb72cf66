import Hummingbird
import Logging

/// Every error as the API's `{"error": "…"}` with a JSON content type: Hummingbird's own (an
/// unknown path, a body too large) and, as 500, anything unexpected (logged). Added before the
/// routes, so it wraps each of them and the not-found responder.
struct JSONErrors: RouterMiddleware {
    typealias Context = APIContext
    let logger: Logger
    let routes: RouteTableBox

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = routes.table.allowed(for: request.uri.path) else {
                throw APIError(.notFound, "no such route: \(request.uri.path)")
            }
            var response = APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; use \(allowed)")
                .makeResponse()
            response.headers[.allow] = allowed
            return response
        } catch let error as HTTPError {
            throw APIError(error.status, error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, error.status.reasonPhrase)
        } catch {
            logger.error(
                "an API request failed", metadata: ["kiln.path": "\(request.uri.path)", "kiln.error": "\(error)"])
            throw APIError(.internalServerError, "internal error: \(error)")
        }
    }
}
