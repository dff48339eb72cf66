import KilnCore
import Testing

@Suite struct CommandTemplateTests {
    @Test func placeholdersAreFilledInsideTheirElement() throws {
        let argv = try CommandTemplate.render(
            ["sudo", "systemctl", "restart", "chiller-loop@{device}", "{{literal}}"],
            values: ["device": "chiller 1; rm -rf /"])
        #expect(argv == ["sudo", "systemctl", "restart", "chiller-loop@chiller 1; rm -rf /", "{literal}"])
    }

    @Test func unknownPlaceholdersAndLoneBracesAreRefused() {
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate.validate("{devcie}") }
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate.validate("a{device") }
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate.validate("a}b") }
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate.validate("a\u{0}b") }
        #expect(throws: CommandTemplate.Problem.self) {
            try CommandTemplate.render(["{value}"], values: ["value": "x\u{0}y"])
        }
    }

    @Test func quotingKeepsEveryByteLiteral() {
        #expect(RemoteShell.quote("it's") == #"'it'\''s'"#)
        #expect(RemoteShell.commandLine(["echo", "$(id)", "a b"]) == "'echo' '$(id)' 'a b'")
    }
}
