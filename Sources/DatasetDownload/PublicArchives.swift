import Foundation

/// The public archives `seqtwins dataset download NAME` knows, with their sizes and SHA-256 values pinned.
///
/// Sizes and hashes are those listed for exactly these URLs in TensorFlow Datasets' checksum file
/// `tensorflow_datasets/url_checksums/movielens.txt` (github.com/tensorflow/datasets); each value was also found,
/// identical, pinned in independent projects that download the same file (noted per entry).
public enum PublicArchives {
    /// Every known archive, smallest first.
    public static let all: [PublicArchive] = [
        // TFDS movielens.txt; the same SHA-256 is pinned for ml-latest-small.zip in several MovieLens projects.
        // GroupLens regenerates "latest" releases now and then: this pins the snapshot generated 2018-09-26.
        movieLens(
            "ml-latest-small", size: 978_202,
            sha256: "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436", kind: "movielens20m",
            description: "MovieLens latest-small: 100,836 ratings (0.5-5) from 610 users on 9,742 movies (2018)"),
        // TFDS movielens.txt; the same SHA-256 is pinned for ml-100k.zip in other MovieLens projects.
        movieLens(
            "ml-100k", size: 4_924_029,
            sha256: "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229", kind: "movielens100k",
            description: "MovieLens 100K: 100,000 ratings (1-5) from 943 users on 1,682 movies (1998)"),
        // TFDS movielens.txt; the same SHA-256 is pinned for ml-1m.zip in other MovieLens projects.
        movieLens(
            "ml-1m", size: 5_917_549,
            sha256: "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20", kind: "movielens1m",
            description: "MovieLens 1M: 1,000,209 ratings (1-5) from 6,040 users on about 3,900 movies (2003)"),
        // TFDS movielens.txt; the same size and SHA-256 are recorded for ml-20m.zip in other projects, one of
        // which also matched GroupLens's published MD5 (cd245b17a1ae2cc31bb14903e1204af3).
        movieLens(
            "ml-20m", size: 198_702_078,
            sha256: "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3", kind: "movielens20m",
            description: "MovieLens 20M: 20,000,263 ratings (0.5-5) from 138,493 users on 27,278 movies (2015)"),
    ]

    /// The archive called `name`, or `nil` when the catalog has none.
    public static func named(_ name: String) -> PublicArchive? {
        all.first { $0.name == name }
    }

    /// The archive called `name`.
    ///
    /// - Throws: ``DownloadError`` (`unknownArchive`) naming the known archives when there is none.
    public static func require(_ name: String) throws -> PublicArchive {
        guard let archive = named(name) else {
            let known = all.map(\.name).joined(separator: ", ")
            throw DownloadError(.unknownArchive, "no public archive named '\(name)'; known: \(known)")
        }
        return archive
    }

    /// A GroupLens MovieLens zip, whose files sit in a folder named like the zip.
    private static func movieLens(
        _ name: String, size: Int64, sha256: String, kind: String, description: String
    ) -> PublicArchive {
        PublicArchive(
            name: name,
            url: URL(string: "https://files.grouplens.org/datasets/movielens/\(name).zip")!,
            size: size, sha256: sha256, kind: kind, folder: name, description: description)
    }
}
