/// How an `HTTPServer` listens and what it accepts.
public struct HTTPServerOptions: Sendable {
    /// Address to bind (`127.0.0.1`, `0.0.0.0`, `::`).
    public var host: String
    /// 0 picks a free port; read it back from `HTTPServer.port`.
    public var port: UInt16
    /// Largest request body accepted; a larger one is answered 413 without being buffered.
    public var maxBodyBytes: Int
    /// Memory per connection for the request line and headers (MHD_OPTION_CONNECTION_MEMORY_LIMIT);
    /// larger headers are refused by libmicrohttpd with 431.
    public var maxHeaderBytes: Int
    /// Open connections at once (agents holding long polls count).
    public var connectionLimit: Int
    /// A connection idle this long (not counting time suspended in a handler) is closed.
    public var idleTimeoutSeconds: Int
    /// libmicrohttpd polling threads (MHD_OPTION_THREAD_POOL_SIZE); 1 is a single internal thread.
    /// Connections are shared out among them, and so is `connectionLimit`.
    public var threads: Int
    /// PEM certificate and key text: with both, the server speaks HTTPS only.
    public var tlsCertificatePEM: String?
    public var tlsKeyPEM: String?

    public init(
        host: String = "127.0.0.1", port: UInt16 = 0, maxBodyBytes: Int = 1 << 20, maxHeaderBytes: Int = 64 << 10,
        connectionLimit: Int = 16_384, idleTimeoutSeconds: Int = 120, threads: Int = 1, tlsCertificatePEM: String? = nil,
        tlsKeyPEM: String? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.connectionLimit = connectionLimit
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.threads = threads
        self.tlsCertificatePEM = tlsCertificatePEM
        self.tlsKeyPEM = tlsKeyPEM
    }
}
