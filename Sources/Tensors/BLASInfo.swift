import CBLAS

/// What the BLAS library reports about itself.
public enum BLASInfo {
    /// The OpenBLAS kernel in use (e.g. `Haswell`), as `openblas_get_corename` reports it.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The OpenBLAS build configuration string.
    public static var configuration: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }

    /// Number of threads OpenBLAS uses (respects `OPENBLAS_NUM_THREADS` and friends).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of OpenBLAS threads.
    public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
