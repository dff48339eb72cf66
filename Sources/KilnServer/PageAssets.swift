/// The operator's page, embedded in the binary. A placeholder until the page's own files
/// (Sources/KilnServer/Page/, another branch) are merged: that branch's `PageAssets` replaces
/// this file, with the same `asset(named:)`.
public enum PageAssets {
    /// The bytes and content type of `name` (`index.html`, `app.js`, `style.css`); nil for none.
    public static func asset(named name: String) -> (bytes: [UInt8], contentType: String)? {
        switch name {
        case "index.html":
            return (
                Array(
                    """
                    <!doctype html>
                    <html lang="en"><head><meta charset="utf-8"><title>Kiln</title></head>
                    <body><h1>Kiln</h1><p>The page is not built into this binary; the API is at /api/v1/.</p></body>
                    </html>

                    """.utf8), "text/html; charset=utf-8"
            )
        default:
            return nil
        }
    }
}
