extension HealthCheck {
    enum CodingKeys: String, CodingKey { case command, http, intervalMs, timeoutMs, retries }

    /// Wire form: `{"command": "...", "intervalMs": 5000, "timeoutMs": 3000, "retries": 3}` (or `"http"`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let command = try c.decodeIfPresent(String.self, forKey: .command) {
            probe = .command(command)
        } else {
            probe = .http(try c.decode(String.self, forKey: .http))
        }
        interval = .milliseconds(try c.decode(Int64.self, forKey: .intervalMs))
        timeout = .milliseconds(try c.decode(Int64.self, forKey: .timeoutMs))
        retries = try c.decode(Int.self, forKey: .retries)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch probe {
        case .command(let command): try c.encode(command, forKey: .command)
        case .http(let url): try c.encode(url, forKey: .http)
        }
        try c.encode(interval.milliseconds, forKey: .intervalMs)
        try c.encode(timeout.milliseconds, forKey: .timeoutMs)
        try c.encode(retries, forKey: .retries)
    }
}
