/// Why the simulator could not start or a request failed, in words that name the cause.
public struct LoadgenError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// `--help` was asked for: not an error; the executable prints the usage on stdout and exits 0.
    public var isHelp = false
    public init(_ description: String) { self.description = description }

    public static var help: LoadgenError {
        var e = LoadgenError(LoadgenCommandLine.usage)
        e.isHelp = true
        return e
    }
}
