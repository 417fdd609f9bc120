//! The extension, staged by build.rs and embedded in the binary.
include!(concat!(env!("OUT_DIR"), "/extension_files.rs"));
