import TideCore

/// The process-wide blob cache (loop thread only). A real agent fetches each blob once into its
/// own cache; here the whole simulated fleet shares one, so a blob is fetched once per process.
/// Concurrent requests for the same blob wait for the one fetch in flight.
final class BlobStore {
    struct Blob {
        /// Kept only with `--disk` (to write files); otherwise only what the simulation needs.
        var bytes: [UInt8]?
        var containsMarker: Bool
    }

    private var blobs: [String: Blob] = [:]
    private var waiters: [String: [(Bool) -> Void]] = [:]
    private let pool: ConnectionPool
    private let requestHead: (String) -> [UInt8]
    private let recorder: StatsRecorder
    private let marker: [UInt8]?
    private let keepBytes: Bool
    private let timeout: Double

    init(
        pool: ConnectionPool, recorder: StatsRecorder, marker: String?, keepBytes: Bool, timeout: Double,
        request: @escaping (String) -> [UInt8]
    ) {
        self.pool = pool
        self.recorder = recorder
        self.marker = marker.map { Array($0.utf8) }
        self.keepBytes = keepBytes
        self.timeout = timeout
        self.requestHead = request
    }

    func blob(_ id: String) -> Blob? { blobs[id] }

    /// Calls `done(true)` once `id` is in the cache (fetching it if needed), `done(false)` when the fetch failed.
    func fetch(_ id: String, _ done: @escaping (Bool) -> Void) {
        if blobs[id] != nil {
            done(true)
            return
        }
        if waiters[id] != nil {
            waiters[id]!.append(done)
            return
        }
        waiters[id] = [done]
        pool.send(requestHead(id), timeout: timeout) { [weak self] result, _ in
            guard let self else { return }
            var ok = false
            switch result {
            case .failure(let error): self.recorder.problem("GET blob: \(error)")
            case .success(let reply):
                self.recorder.response(status: reply.status)
                if reply.status != 200 {
                    self.recorder.problem("GET blob: \(ProblemText.describe(reply))")
                } else if SHA256.hex(reply.body) != id {
                    self.recorder.problem("GET blob: content does not hash to its id")
                } else {
                    ok = true
                    self.recorder.blobFetched(bytes: reply.body.count)
                    let hit = self.marker.map { ResponseParser.find(reply.body, $0, from: 0) != nil } ?? false
                    self.blobs[id] = Blob(bytes: self.keepBytes ? reply.body : nil, containsMarker: hit)
                }
            }
            let waiting = self.waiters.removeValue(forKey: id) ?? []
            for w in waiting { w(ok) }
        }
    }
}
