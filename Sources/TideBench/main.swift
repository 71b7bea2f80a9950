import Foundation

// `tide-bench [SECTION...]`: runs each benchmark section (all when none is named) and prints
// figures and ratios. Sections live in their own files: GitBench, EngineBench, LoopBench.
let sections: [(name: String, run: () async throws -> Void)] = [
    ("git", GitBench.run),
    ("engine", EngineBench.run),
    ("loop", LoopBench.run),
]
let wanted = Set(CommandLine.arguments.dropFirst())
for section in sections where wanted.isEmpty || wanted.contains(section.name) {
    print("== \(section.name)")
    do {
        try await section.run()
    } catch {
        print("\(section.name): failed: \(error)")
        exit(1)
    }
}
