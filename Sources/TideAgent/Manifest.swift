import Foundation
import TideCore

/// What the agent has placed, per service: the bundle and revision last applied. Kept in
/// `<state-dir>/manifest.json`, written atomically; only files listed here are ever removed.
public struct Manifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var revision: String
        public var bundle: TideCore.Bundle
        public var appliedAt: String
    }

    public var services: [String: Entry] = [:]

    public init() {}

    static func load(_ path: String) throws -> Manifest {
        guard DiskFile.exists(path) else { return Manifest() }
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(try DiskFile.read(path)))
        } catch let error as AgentError {
            throw error
        } catch {
            throw AgentError(.io, "\(path) is not a readable manifest: \(error)")
        }
    }

    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try DiskFile.writeAtomically(path, Array(try encoder.encode(self)))
    }
}
