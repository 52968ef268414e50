//! Arbitrary bytes as the start of a trace: the header (its checksum fixed
//! up, and as given), then one chunk read as a metadata table whatever its
//! kind and checksum. What decodes must encode and decode to the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use memento_trace::format::{ChunkHeader, CHUNK_HEADER_LEN};
use memento_trace::{Header, Metadata};

fuzz_target!(|data: &[u8]| {
    let _ = Header::decode(data);
    let mut bytes = data.to_vec();
    memento_fuzz::fix_header_crc(&mut bytes);
    let Ok((header, len)) = Header::decode(&bytes) else {
        return;
    };
    // Encoding writes the current version (a version 1 header comes back
    // as version 2, every other field equal).
    let encoded = header.encode();
    let current = Header {
        version: memento_trace::format::VERSION,
        ..header
    };
    assert_eq!(Header::decode(&encoded).ok(), Some((current, encoded.len())));
    let rest = &bytes[len..];
    let Ok(chunk) = ChunkHeader::decode(rest) else {
        return;
    };
    let payload = &rest[CHUNK_HEADER_LEN..];
    let payload = &payload[..payload.len().min(chunk.payload_len as usize)];
    let mut metadata = Metadata::default();
    if metadata.decode_into(payload, chunk.count).is_ok() {
        let mut again = Metadata::default();
        let entries = u32::try_from(metadata.entries()).expect("as many as declared");
        again
            .decode_into(&metadata.encode(), entries)
            .expect("an encoded table decodes");
        assert_eq!(metadata, again);
    }
});
