import Foundation
import TideHTTP

/// Building the API and its server options from `tide controller`'s flags.
extension ControllerAPI {
    /// Reads `--agent-token-file`, `--operator-tokens` and `--webhook-secret-file` (each optional);
    /// an error names the file and what was wrong with it. Webhooks are not matched against the
    /// repository URL (the controller may fetch through another URL than the forge names); the
    /// signature authenticates them, and a stray push only causes one extra, coalesced fetch.
    public init(options: ControllerOptions, backend: any ControllerBackend, metrics: TideMetrics) throws {
        let agentToken = try options.agentTokenFile.map { try Self.readAgentToken(contentsOf: $0) }
        let tokens = try options.operatorTokensFile.map { try OperatorTokens(contentsOf: $0) }
        let webhook = try options.webhookSecretFile.map {
            PushWebhook(secret: try WebhookSecret(contentsOfFile: $0), branch: options.branch)
        }
        self.init(backend: backend, agentToken: agentToken, operatorTokens: tokens, webhook: webhook, metrics: metrics)
    }

    /// `--listen` and the TLS files as `HTTPServerOptions`, with the API's 8 MiB body limit.
    public static func serverOptions(_ options: ControllerOptions) throws -> HTTPServerOptions {
        guard (0...65535).contains(options.listenPort) else {
            throw HTTPServerError("--listen: port \(options.listenPort) is not in 0-65535")
        }
        var server = serverOptions(host: options.listenHost, port: UInt16(options.listenPort))
        switch (options.tlsCertificateFile, options.tlsKeyFile) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            server.tlsCertificatePEM = try readPEM(cert, "TLS certificate file")
            server.tlsKeyPEM = try readPEM(key, "TLS key file")
        default:
            throw HTTPServerError("HTTPS needs both a TLS certificate file and a TLS key file; only one was given")
        }
        return server
    }

    private static func readPEM(_ path: String, _ flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HTTPServerError("\(flag) \(path): cannot be read (missing, or no permission)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
