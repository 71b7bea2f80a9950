/// One HTTP response as the simulator's client read it.
struct HTTPReply: Sendable {
    var status: Int
    var body: [UInt8]
    /// The server said `Connection: close` (or spoke HTTP/1.0 without keep-alive).
    var closes: Bool
    /// The body came with `Transfer-Encoding: chunked`.
    var chunked: Bool
}
