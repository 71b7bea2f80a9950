/// Why the simulator could not start or a request failed, in words that name the cause.
public struct LoadgenError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
