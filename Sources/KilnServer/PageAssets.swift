/// The operator's page (Sources/KilnServer/Page: index.html, app.js, style.css), embedded in the
/// binary at build time: the gateway serves it with no files beside it and the page fetches
/// nothing from elsewhere, so it works on a plant network with no way out.
public enum PageAssets {
    /// The bytes and `Content-Type` of the page's file `name`; nil for any other name, so a
    /// request path never reaches the file system.
    /// - Parameters:
    ///   - name: `index.html`, `app.js` or `style.css` (the last segment of `/assets/NAME`).
    public static func asset(named name: String) -> (bytes: [UInt8], contentType: String)? {
        switch name {
        case "index.html": (PackageResources.index_html, "text/html; charset=utf-8")
        case "app.js": (PackageResources.app_js, "text/javascript; charset=utf-8")
        case "style.css": (PackageResources.style_css, "text/css; charset=utf-8")
        default: nil
        }
    }

    /// The names ``asset(named:)`` knows.
    public static let names = ["index.html", "app.js", "style.css"]
}
