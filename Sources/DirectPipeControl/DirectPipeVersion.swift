/// DirectPipe's version: `directpipe --version` and the Debian packages
/// (`scripts/package.sh` reads it from the built program). Raise it here and nowhere else.
public enum DirectPipeVersion {
    public static let string = "0.1.0"
}
