import Logging

/// A logger that drops everything, for library calls that take one.
enum TestLogging {
    static let silent = Logger(label: "kiln.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
