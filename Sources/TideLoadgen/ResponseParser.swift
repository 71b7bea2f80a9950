/// Incremental HTTP/1.1 response parsing over a connection's read buffer: status line, headers,
/// then a `Content-Length` body, a chunked body, or (no length at all) a body up to the close.
enum ResponseParser {
    enum Outcome {
        /// Not all of it yet.
        case incomplete
        /// A whole response, and how many bytes of the buffer it used.
        case complete(HTTPReply, consumed: Int)
        case malformed(String)
    }

    static func parse(_ buffer: [UInt8], eof: Bool = false, headRequest: Bool = false) -> Outcome {
        guard let headerEnd = find(buffer, [13, 10, 13, 10], from: 0) else {
            return buffer.count > 64 << 10 ? .malformed("response headers over 64 KiB") : .incomplete
        }
        // Status line: HTTP/1.x NNN reason
        guard let lineEnd = find(buffer, [13, 10], from: 0), lineEnd >= 12,
            buffer[0] == UInt8(ascii: "H"), buffer[8] == UInt8(ascii: " ")
        else { return .malformed("bad status line") }
        let http10 = buffer[7] == UInt8(ascii: "0")
        var status = 0
        for i in 9..<12 {
            let c = buffer[i]
            guard c >= 48, c <= 57 else { return .malformed("bad status code") }
            status = status * 10 + Int(c - 48)
        }
        var contentLength: Int?
        var chunked = false
        var closes = http10
        var start = lineEnd + 2
        while start < headerEnd {
            let end = find(buffer, [13, 10], from: start) ?? headerEnd
            if let colon = buffer[start..<end].firstIndex(of: UInt8(ascii: ":")) {
                let name = lower(buffer[start..<colon])
                var valueStart = colon + 1
                while valueStart < end, buffer[valueStart] == 32 || buffer[valueStart] == 9 { valueStart += 1 }
                let value = lower(buffer[valueStart..<end])
                switch name {
                case "content-length": contentLength = Int(value.trimmingTrailingSpaces)
                case "transfer-encoding": chunked = value.contains("chunked")
                case "connection":
                    if value.contains("close") { closes = true }
                    if value.contains("keep-alive") { closes = false }
                default: break
                }
            }
            start = end + 2
        }
        let bodyStart = headerEnd + 4
        if headRequest || status == 204 || status == 304 || (status >= 100 && status < 200) {
            return .complete(HTTPReply(status: status, body: [], closes: closes, chunked: false), consumed: bodyStart)
        }
        if chunked {
            var body: [UInt8] = []
            var at = bodyStart
            while true {
                guard let sizeEnd = find(buffer, [13, 10], from: at) else { return .incomplete }
                var size = 0
                var i = at
                while i < sizeEnd, let digit = hexValue(buffer[i]) {
                    size = size * 16 + digit
                    if size > 1 << 30 { return .malformed("chunk size too large") }
                    i += 1
                }
                if i == at { return .malformed("bad chunk size") }
                at = sizeEnd + 2
                if size == 0 {
                    // Trailers end with an empty line.
                    if buffer.count >= at + 2, buffer[at] == 13, buffer[at + 1] == 10 {
                        return .complete(HTTPReply(status: status, body: body, closes: closes, chunked: true), consumed: at + 2)
                    }
                    guard let trailerEnd = find(buffer, [13, 10, 13, 10], from: at) else { return .incomplete }
                    return .complete(HTTPReply(status: status, body: body, closes: closes, chunked: true), consumed: trailerEnd + 4)
                }
                guard buffer.count >= at + size + 2 else { return .incomplete }
                body.append(contentsOf: buffer[at..<(at + size)])
                at += size + 2
            }
        }
        if let contentLength {
            guard buffer.count >= bodyStart + contentLength else { return .incomplete }
            return .complete(
                HTTPReply(status: status, body: Array(buffer[bodyStart..<(bodyStart + contentLength)]), closes: closes, chunked: false),
                consumed: bodyStart + contentLength)
        }
        // No length: the body runs to the close.
        guard eof else { return .incomplete }
        return .complete(HTTPReply(status: status, body: Array(buffer[bodyStart...]), closes: true, chunked: false), consumed: buffer.count)
    }

    static func find(_ buffer: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard needle.count > 0, buffer.count >= needle.count else { return nil }
        var i = from
        let last = buffer.count - needle.count
        let first = needle[0]
        while i <= last {
            if buffer[i] == first {
                var match = true
                for j in 1..<needle.count where buffer[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }

    private static func lower(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: Int(c - 48)
        case 97...102: Int(c - 87)
        case 65...70: Int(c - 55)
        default: nil
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
