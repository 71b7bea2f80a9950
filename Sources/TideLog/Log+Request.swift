extension Log {
    /// Writes the one line per answered HTTP request: `event=http.request request_id=... method=GET
    /// route=/v1/agents/{server}/desired path=... status=200 duration=0.012s remote=...`.
    /// The path's query string is redacted; headers are never logged. Level by default: error for
    /// 5xx, notice for 401/403, else info (pass `.debug` for chatty routes such as agents' long polls).
    public static func request(
        id: String, method: String, route: String, path: String, status: Int, duration: Duration,
        remote: String? = nil, level: Level? = nil, _ extra: [(String, Any)] = []
    ) {
        let (chosen, fields) = requestLine(
            id: id, method: method, route: route, path: path, status: status, duration: duration, remote: remote,
            level: level, extra)
        write(chosen, "http.request", fields)
    }

    /// The level and fields `request` writes (for tests and other sinks).
    public static func requestLine(
        id: String, method: String, route: String, path: String, status: Int, duration: Duration,
        remote: String? = nil, level: Level? = nil, _ extra: [(String, Any)] = []
    ) -> (Level, [(String, Any)]) {
        let chosen = level ?? (status >= 500 ? .error : (status == 401 || status == 403 ? .notice : .info))
        var fields: [(String, Any)] = [
            (RequestID.field, id), ("method", method), ("route", route), ("path", path), ("status", status),
            ("duration", duration),
        ]
        if let remote { fields.append(("remote", remote)) }
        fields += extra
        return (chosen, fields)
    }
}
