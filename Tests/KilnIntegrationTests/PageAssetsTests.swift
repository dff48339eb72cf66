import Foundation
import KilnServer
import Testing

/// The page's three files as the binary carries them, and the rules the page keeps that a
/// reader of its source can check: nothing from outside the plant network, nothing inline that
/// the Content-Security-Policy would block, no API text inserted as HTML.
@Suite struct PageAssetsTests {
    static let folder = Repository.root + "/Sources/KilnServer/Page/"

    static func source(_ name: String) throws -> String {
        try String(contentsOfFile: folder + name, encoding: .utf8)
    }

    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
    ])
    func eachFileIsEmbeddedAsItIsInTheRepository(name: String, contentType: String) throws {
        let asset = try #require(PageAssets.asset(named: name))
        #expect(asset.contentType == contentType)
        #expect(asset.bytes == Array(try Self.source(name).utf8))
        #expect(PageAssets.names.contains(name))
    }

    @Test(arguments: [
        "", "/", "index.htm", "INDEX.HTML", "../Package.swift", "Page/app.js", "app.js/", "app.js?v=1", "/etc/passwd",
        "PageAssets.swift", "%2e%2e%2fPackage.swift",
    ])
    func anyOtherNameIsNotAnAsset(name: String) {
        #expect(PageAssets.asset(named: name) == nil)
    }

    /// Every file the page loads is one PageAssets serves, from the page's own origin.
    @Test func thePageLoadsOnlyItsOwnFiles() throws {
        let html = try Self.source("index.html")
        let references = html.matches(of: /(?:src|href)="([^"]*)"/).map { String($0.output.1) }
        #expect(Set(references) == ["/assets/style.css", "/assets/app.js"], "\(references)")
        for reference in references {
            #expect(PageAssets.asset(named: String(reference.dropFirst("/assets/".count))) != nil)
        }
        for name in PageAssets.names {
            let text = try Self.source(name)
            // The SVG namespace is a name, not a fetch; nothing else may name another host.
            let urls = text.matches(of: /https?:\/\/[^\s'"`)]+/).map { String($0.output) }
            #expect(urls.allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(name): \(urls)")
            #expect(!text.contains("@import") && !text.contains("@font-face"), "\(name)")
        }
    }

    /// The server's Content-Security-Policy (`default-src 'self'`, PageRoutes) forbids inline
    /// script and style: the page has none.
    @Test func thePageHasNothingInlineThePolicyWouldBlock() throws {
        let html = try Self.source("index.html")
        #expect(!html.contains("<style"))
        #expect(!html.contains(" style="))
        #expect(!html.contains(/\son[a-z]+=/), "an inline event handler attribute")
        let scripts = html.matches(of: /<script([^>]*)>([^<]*)<\/script>/)
        #expect(scripts.count == 1)
        for script in scripts {
            #expect(script.output.1.contains("src="))
            #expect(script.output.2.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }

    /// app.js sets innerHTML only to its fixed row and table skeletons; text from the API goes
    /// in through textContent (a tag's reason or an alarm's text could hold markup).
    @Test func apiTextIsNeverInsertedAsHTML() throws {
        let js = try Self.source("app.js")
        let skeletons: Set<String> = ["ROW", "TABLE_HEAD", "ALARM_ROW", "RUN_ROW", "repeat", "device", "end", "start"]
        let assignments = js.matches(of: /\.innerHTML\s*=\s*([^;]+);/).map { String($0.output.1) }
        #expect(assignments.count == 3, "\(assignments)")
        for rhs in assignments {
            let withoutStrings = rhs.replacing(/'[^']*'/, with: "")
            let names = withoutStrings.matches(of: /[A-Za-z_][A-Za-z_0-9]*/).map { String($0.output) }
            #expect(Set(names).isSubset(of: skeletons), "innerHTML = \(rhs)")
        }
        for sink in ["outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!js.contains(sink), "app.js uses \(sink)")
        }
    }
}
