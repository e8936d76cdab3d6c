#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for training loops.
public enum MemoryReuse {
    /// Keeps freed large blocks inside the process so each training step reuses warm pages for its tensors (a few
    /// megabytes each) instead of having them mapped, zero-filled by the kernel and unmapped again every step.
    ///
    /// With glibc: `mallopt(M_MMAP_THRESHOLD, 32 MiB)` (blocks up to that size come from the heap, not `mmap`) and
    /// `mallopt(M_TRIM_THRESHOLD, 512 MiB)` (free memory at the top of the heap is kept up to that size). Values are
    /// not affected, only where they live. Call once at start-up; elsewhere it does nothing.
    /// - Returns: whether both settings were applied.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        #if canImport(Glibc)
        // `mallopt` is in <malloc.h>, which the Glibc module does not export: look it up by name.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let (mmapThreshold, trimThreshold): (Int32, Int32) = (-3, -1)  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        let mmap = mallopt(mmapThreshold, 32 << 20)
        let trim = mallopt(trimThreshold, 512 << 20)
        return mmap == 1 && trim == 1
        #else
        return false
        #endif
    }
}
