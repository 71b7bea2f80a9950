/// Something the agent could not do, in words that name the file, command or request.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case unauthorized, unknownServer, protocolError, transport, blobMismatch, targetRefused, io, owner, command
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
