import AsyncHTTPClient

/// The one HTTP client every hook shares, for the life of the process (never shut down).
///
/// HTTPS is verified against the system trust store (`fullVerification`, never disabled).
/// Unlike `HTTPClient.shared`, it follows no redirect: a receiver that moved must be reconfigured,
/// not followed with a signed alarm to wherever a 3xx points (a redirect is retried as an error).
public enum HookHTTPClient {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
