/// The loop section of `make bench`.
enum LoopBench {
    static func run() async throws {
        print("loop: not written yet")
    }
}
