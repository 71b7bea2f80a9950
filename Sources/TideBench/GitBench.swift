/// The git section of `make bench`.
enum GitBench {
    static func run() async throws {
        print("git: not written yet")
    }
}
