import HTTPTypes
import Hummingbird

/// `GET /` and `GET /assets/{file}`: the page's files from ``PageAssets``, with no token (the
/// page asks the operator for one and sends it with its API calls).
enum PageRoutes {
    static func response(_ name: String) throws(APIError) -> Response {
        guard let asset = PageAssets.asset(named: name) else { throw APIError.notFound("no asset '\(name)'") }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "no-cache"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
