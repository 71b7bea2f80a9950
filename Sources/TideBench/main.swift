import Foundation

// `tide-bench [SECTION...]`: runs each benchmark section (all when none is named) and prints
// figures and ratios. Sections live in their own files: GitBench, EngineBench, LoopBench, PlanBench.
let sections: [(name: String, run: () async throws -> Void)] = [
    ("git", GitBench.run),
    ("engine", EngineBench.run),
    ("loop", LoopBench.run),
    ("plan", PlanBench.run),
    ("fleet", FleetBench.run),
]
// `tide-bench fleet-repo DIR [SERVERS]` only writes the fleet benchmark's config tree (to try it by hand).
if CommandLine.arguments.count >= 3, CommandLine.arguments[1] == "fleet-repo" {
    let servers = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 10_000 : 10_000
    try FleetRepo(servers: servers, services: 50, files: 5_000).write(into: CommandLine.arguments[2])
    exit(0)
}
let wanted = Set(CommandLine.arguments.dropFirst())
let unknown = wanted.subtracting(sections.map(\.name))
guard unknown.isEmpty else {
    print("tide-bench: no section \(unknown.sorted().joined(separator: ", ")); sections: \(sections.map(\.name).joined(separator: ", "))")
    exit(2)
}
for section in sections where wanted.isEmpty || wanted.contains(section.name) {
    print("== \(section.name)")
    do {
        try await section.run()
    } catch {
        print("\(section.name): failed: \(error)")
        exit(1)
    }
}
