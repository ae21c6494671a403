/// The package's version: the one place it is written. `filterbank --version`
/// prints it; reports and libraries that need it read it from here.
public enum FilterBankVersion {
    /// Semantic versioning: `MAJOR.MINOR.PATCH`.
    public static let string = "0.9.0"
}
