import Foundation

/// Messages for people go to standard error; standard output is for data (`tap --json`).
func printError(_ message: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((message + terminator).utf8))
}
