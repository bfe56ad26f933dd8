/// The version of EditLab recorded in every run's manifest.
public enum EditLabVersion {
    /// `major.minor.patch`.
    public static let current = "0.1.0"
}
