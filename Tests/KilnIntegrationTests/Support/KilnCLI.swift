import Foundation

/// Runs the built `kiln` executable as a child process.
enum KilnCLI {
    /// What one finished run of `kiln` left behind.
    struct Result: CustomStringConvertible {
        var status: ExitStatus
        var stdout: String
        var stderr: String
        /// From spawning to the exit being seen.
        var elapsed: Duration

        var exitCode: Int32? {
            if case .exited(let code) = status { return code }
            return nil
        }

        var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

        var description: String {
            "\(status) after \(elapsed)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
        }
    }

    struct Hung: Error, CustomStringConvertible {
        var arguments: [String]
        var timeout: Duration
        var description: String { "kiln \(arguments.joined(separator: " ")) did not exit within \(timeout)" }
    }

    /// Starts `kiln ARGUMENTS` and returns at once.
    static func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess([try Repository.kiln()] + arguments)
    }

    /// Runs `kiln ARGUMENTS` to the end; kills it and throws if it runs longer than `timeout`.
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> Result {
        let started = ContinuousClock.now
        let child = try start(arguments)
        guard let status = child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            throw Hung(arguments: arguments, timeout: timeout)
        }
        let elapsed = ContinuousClock.now - started
        child.waitForOutput()
        return Result(status: status, stdout: child.stdout.text, stderr: child.stderr.text, elapsed: elapsed)
    }
}
