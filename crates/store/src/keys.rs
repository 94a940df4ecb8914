//! Big-endian fixed-width keys: byte order equals numeric order, and all of a
//! client's settlements (offers, contacts…) share a 4-byte prefix, so they
//! are one range scan.

pub fn id32(id: u32) -> [u8; 4] {
    id.to_be_bytes()
}

pub fn id64(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

pub fn pair32(a: u32, b: u32) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..4].copy_from_slice(&a.to_be_bytes());
    k[4..].copy_from_slice(&b.to_be_bytes());
    k
}

pub fn pair32_64(a: u32, b: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&a.to_be_bytes());
    k[4..].copy_from_slice(&b.to_be_bytes());
    k
}

/// An archived record's key: its client first, so that a client's purge
/// is one range scan (`[client]` for the client, `[client, 1, person]`).
pub fn archived(key: rapport_core::domain::Archivable) -> Vec<u8> {
    use rapport_core::domain::Archivable;
    match key {
        Archivable::Client(c) => id32(c.0).to_vec(),
        Archivable::Person(c, p) => {
            let mut k = id32(c.0).to_vec();
            k.push(1);
            k.extend_from_slice(&id64(p.0));
            k
        }
    }
}

/// A sales record's key (SPEC §9): a tag byte, then the record's ids.
pub fn sales(key: rapport_core::domain::SalesKey) -> Vec<u8> {
    use rapport_core::domain::SalesKey;
    match key {
        SalesKey::Document(n) => {
            let mut k = vec![0, n.kind as u8];
            k.extend_from_slice(&n.year.to_be_bytes());
            k.extend_from_slice(&n.number.to_be_bytes());
            k
        }
        SalesKey::Terms(c, p) => {
            let mut k = vec![1];
            k.extend_from_slice(&pair32(c.0, p.0));
            k
        }
        SalesKey::Acquisition(c) => {
            let mut k = vec![2];
            k.extend_from_slice(&id32(c.0));
            k
        }
        SalesKey::Setup => vec![3],
        SalesKey::View(n) => {
            let mut k = vec![4];
            k.extend_from_slice(&n.to_be_bytes());
            k
        }
    }
}

/// Renders a key for error messages.
pub fn hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_numeric() {
        assert!(id32(255) < id32(256));
        assert!(pair32_64(1, u64::MAX) < pair32_64(2, 0));
        assert!(pair32(7, 1) < pair32(7, 2));
        assert_eq!(hex(&id32(258)), "00000102");
    }
}
