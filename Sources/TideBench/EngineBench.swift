/// The engine section of `make bench`.
enum EngineBench {
    static func run() async throws {
        print("engine: not written yet")
    }
}
