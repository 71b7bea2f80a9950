/// A tiny flag parser for the `tide` subcommands: `--flag value`, `--flag=value`, boolean `--flag`,
/// and positionals. Unknown flags are errors that name the flag.
struct Arguments {
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var switches: Set<String> = []

    /// `valueFlags` take a value; `booleanFlags` do not. Names are given without dashes.
    init(_ args: [String], valueFlags: Set<String>, booleanFlags: Set<String> = []) throws {
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" {
                positionals.append(contentsOf: args[(i + 1)...])
                break
            }
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if booleanFlags.contains(name), inline == nil {
                    switches.insert(name)
                } else if valueFlags.contains(name) {
                    if let inline {
                        values[name] = inline
                    } else {
                        guard i + 1 < args.count else { throw UsageError(description: "--\(name) needs a value") }
                        values[name] = args[i + 1]
                        i += 1
                    }
                } else {
                    throw UsageError(description: "unknown flag --\(name)")
                }
            } else {
                positionals.append(arg)
            }
            i += 1
        }
    }

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { switches.contains(name) }

    func required(_ name: String) throws -> String {
        guard let v = values[name] else { throw UsageError(description: "--\(name) is required") }
        return v
    }
}
