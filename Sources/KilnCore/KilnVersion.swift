/// Kiln's release, in one place: `kiln --version` prints it and `/api/v1/status` reports it.
public enum KilnVersion {
    public static let text = "0.14.0"
}
