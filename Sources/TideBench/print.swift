import Foundation

/// The benchmark's `print`: each line is written at once (one `write(2)`), so progress reaches a log
/// file or a pipe as it happens, not when stdio's buffer fills (Swift 6 cannot name C's `stdout`
/// to change its buffering).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let line = items.map { "\($0)" }.joined(separator: separator) + terminator
    FileHandle.standardOutput.write(Data(line.utf8))
}
