import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// The gateway's `hooks:` decode into exactly the values written, secrets by name only.
struct HookConfigTests {
    static let cases = Bundle.module.resourceURL!.appendingPathComponent("Cases").path

    @Test func everyHookKindDecodes() throws {
        let folder = Self.cases + "/hooks-clean"
        let path = folder + "/kiln.yaml"
        let checked = try ConfigLoader.check(path: path)
        func at(_ line: Int, _ column: Int) -> KilnCore.SourceLocation {
            KilnCore.SourceLocation(file: path, line: line, column: column)
        }
        #expect(
            checked.config.hooks == [
                HookConfig(
                    name: "ops", kind: .webhook, url: "https://ops.example/kiln",
                    secret: .environment("KILN_OPS_SECRET"), filter: HookFilter(minSeverity: .minor),
                    timeout: .seconds(10), location: at(13, 5), secretLocation: at(16, 17)),
                HookConfig(
                    name: "unsigned", kind: .webhook, url: "http://127.0.0.1:9000/hook", location: at(19, 5)),
                HookConfig(
                    name: "Alertmanager_1", kind: .alertmanager, url: "http://127.0.0.1:9093",
                    filter: HookFilter(devices: ["boiler-*", "chiller-[12]"], tags: ["*_temp"]),
                    maxAge: .seconds(2 * 86_400), resend: .seconds(60), location: at(22, 5)),
                HookConfig(
                    name: "oncall", kind: .pagerduty, url: "https://events.pagerduty.com/v2/enqueue",
                    secret: .file(folder + "/secrets/pagerduty.key"),
                    filter: HookFilter(minSeverity: .critical, transitions: [.activated, .acknowledged, .cleared]),
                    location: at(29, 5), secretLocation: at(31, 18)),
                HookConfig(
                    name: "logger", kind: .exec, command: ["/usr/bin/logger", "-t", "kiln"], timeout: .seconds(5),
                    location: at(34, 5)),
            ])
        // The unsigned webhook is the one warning.
        #expect(checked.warnings.map(\.location) == [at(19, 5)])
        #expect(checked.warnings.first?.message.contains("unsigned") == true)
    }

    @Test func hookNamesAllowCapitalsAndDashes() {
        #expect(NamePattern.hook.matches("Ops_Team-2"))
        #expect(!NamePattern.hook.matches("ops team"))
        #expect(NamePattern.hook.suggestion(for: "Ops Team") == "Ops-Team")
    }

    @Test(
        arguments: [
            ("https://ops.example/kiln", nil),
            ("http://127.0.0.1:9093", nil),
            ("http://[::1]:9000/hook?x=1", nil),
            ("HTTPS://Ops.Example:443", nil),
            ("ftp://ops.example/", "the scheme must be http or https, not 'ftp'"),
            ("ops.example/kiln", "expected an absolute URL such as https://ops.example/kiln"),
            ("https://", "the URL has no host"),
            ("https://:80/", "the URL has no host"),
            ("https://a:0/", "the port must be a number from 1 to 65535, found '0'"),
            ("https://a:+80/", "the port must be a number from 1 to 65535, found '+80'"),
            ("https://a b/", "spaces and non-ASCII characters must be percent-encoded"),
            ("https://u:p@a/", "credentials in a URL would put a secret in the config; use secret_env or secret_file"),
            ("https://[::1/", "an IPv6 host needs its closing ']'"),
            ("https://a..b/", "'a..b' is not a host name"),
        ] as [(String, String?)])
    func urls(_ url: String, _ problem: String?) {
        #expect(HookURL.problem(url) == problem, "\(url)")
    }
}
