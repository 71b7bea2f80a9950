import Foundation
import TideHTTP
import TideTestSupport
import Testing

@Suite struct HTTPServerTLSTests {
    @Test func servesHTTPSWithAGivenCertificate() async throws {
        let dir = try TempDirectory()
        try Shell.check(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null",
            in: dir.path)
        let options = HTTPServerOptions(
            tlsCertificatePEM: try String(contentsOfFile: dir("cert.pem"), encoding: .utf8),
            tlsKeyPEM: try String(contentsOfFile: dir("key.pem"), encoding: .utf8))
        let server = try HTTPServer(options) { request in .text("secure \(request.path)") }
        defer { Task { await server.stop() } }
        let cert = dir("cert.pem"), port = server.port
        let good = try await offPool { try Shell.check("curl -s --cacert \(cert) https://127.0.0.1:\(port)/x") }
        #expect(good == "secure /x")
        // Without trusting the certificate the client refuses; plain HTTP gets no answer.
        let untrusted = try await offPool { try Shell.run("curl -s https://127.0.0.1:\(port)/x") }
        #expect(untrusted.status != 0)
        let plain = try await offPool { try Shell.run("curl -s -m 5 http://127.0.0.1:\(port)/x") }
        #expect(plain.stdout != "secure /x")
    }
}
