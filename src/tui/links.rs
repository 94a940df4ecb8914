//! Phones and emails as OSC 8 hyperlinks (`tel:`, `mailto:`), so that a
//! terminal or a softphone calls them on a click. ratatui's cells carry no
//! link: the views name the texts to link while they draw (`Links::want`),
//! the frame's buffer says where those texts ended up (`Links::place`), and
//! the backend wraps those cells in the link as it writes them. A target is
//! built from the data with every byte outside a small safe set
//! percent-encoded, so no control byte reaches the terminal through it.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};

/// Where a link is on screen: `width` cells from (`x`, `y`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub url: String,
}

/// The links of the frame being drawn, shared with the backend.
#[derive(Debug, Default)]
pub struct Links {
    /// Off: `links = false` in config.toml (or a test's terminal).
    pub on: bool,
    wanted: Mutex<Vec<(String, String)>>,
    placed: Arc<Mutex<Vec<Region>>>,
}

impl Links {
    pub fn new(on: bool) -> Links {
        Links { on, ..Links::default() }
    }

    /// Links `text` (as drawn) to `url`, if links are on and there is one.
    pub fn want(&self, text: &str, url: Option<String>) {
        if let (true, Some(url)) = (self.on, url) {
            self.wanted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((text.to_string(), url));
        }
    }

    /// After a frame is drawn: finds the wanted texts in it and hands the
    /// backend where they are.
    pub fn place(&self, buffer: &Buffer) {
        if !self.on {
            return;
        }
        let wanted = std::mem::take(&mut *self.wanted.lock().unwrap_or_else(PoisonError::into_inner));
        *self.placed.lock().unwrap_or_else(PoisonError::into_inner) = regions(buffer, &wanted);
    }

    /// What the backend reads.
    pub fn placed(&self) -> Arc<Mutex<Vec<Region>>> {
        self.placed.clone()
    }
}

/// `tel:` and the number's digits (a leading `+` kept), when it has some.
pub fn tel(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 3 {
        return None;
    }
    let plus = if phone.starts_with('+') { "+" } else { "" };
    Some(format!("tel:{plus}{digits}"))
}

/// `mailto:` and the address, when it looks like one.
pub fn mailto(email: &str) -> Option<String> {
    let email = email.trim();
    let (user, domain) = email.split_once('@')?;
    if user.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return None;
    }
    Some(format!("mailto:{}", encode(email)))
}

/// Percent-encodes every byte but letters, digits and `@ . + - _ ~`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"@.+-_~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every place in `buffer` where one of the `wanted` texts is drawn whole
/// (a text cut by a narrow column is not linked).
pub fn regions(buffer: &Buffer, wanted: &[(String, String)]) -> Vec<Region> {
    let area = buffer.area;
    let mut out = Vec::new();
    if wanted.is_empty() {
        return out;
    }
    let wanted: Vec<(Vec<String>, &str)> = wanted
        .iter()
        .map(|(text, url)| (text.chars().map(String::from).collect(), url.as_str()))
        .filter(|(chars, _): &(Vec<String>, &str)| !chars.is_empty())
        .collect();
    for y in area.top()..area.bottom() {
        let row: Vec<&str> = (area.left()..area.right()).map(|x| buffer[(x, y)].symbol()).collect();
        for (chars, url) in &wanted {
            let n = chars.len();
            let mut x = 0;
            while x + n <= row.len() {
                if row[x..x + n].iter().zip(chars).all(|(cell, c)| *cell == c.as_str()) {
                    out.push(Region {
                        x: area.left() + x as u16,
                        y,
                        width: n as u16,
                        url: (*url).to_string(),
                    });
                    x += n;
                } else {
                    x += 1;
                }
            }
        }
    }
    out
}

/// The crossterm backend, with the cells of each placed link written
/// inside its OSC 8 sequence.
pub struct LinkBackend<W: Write> {
    inner: CrosstermBackend<W>,
    placed: Arc<Mutex<Vec<Region>>>,
}

impl<W: Write> LinkBackend<W> {
    pub fn new(inner: CrosstermBackend<W>, placed: Arc<Mutex<Vec<Region>>>) -> Self {
        LinkBackend { inner, placed }
    }

    fn run(&mut self, cells: &[(u16, u16, &Cell)], url: Option<&str>) -> io::Result<()> {
        if let Some(url) = url {
            write!(self.inner, "\x1b]8;;{url}\x1b\\")?;
        }
        self.inner.draw(cells.iter().copied())?;
        if url.is_some() {
            write!(self.inner, "\x1b]8;;\x1b\\")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for LinkBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for LinkBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let placed = self.placed.clone();
        let placed = placed.lock().unwrap_or_else(PoisonError::into_inner);
        let link_at = |x: u16, y: u16| {
            placed
                .iter()
                .position(|r| r.y == y && x >= r.x && x < r.x.saturating_add(r.width))
        };
        // Runs of cells in one link, or in none.
        let mut run: Vec<(u16, u16, &Cell)> = Vec::new();
        let mut current = None;
        for (x, y, cell) in content {
            let link = link_at(x, y);
            if link != current && !run.is_empty() {
                self.run(&run, current.map(|i| placed[i].url.as_str()))?;
                run.clear();
            }
            current = link;
            run.push((x, y, cell));
        }
        if !run.is_empty() {
            self.run(&run, current.map(|i| placed[i].url.as_str()))?;
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn targets_carry_no_control_bytes() {
        assert_eq!(tel("+33 6 12 34 56 78").as_deref(), Some("tel:+33612345678"));
        assert_eq!(tel("01.77.27.77.00").as_deref(), Some("tel:0177277700"));
        assert_eq!(tel("call me"), None);
        assert_eq!(tel("\x1b]8;;evil\x07 12").as_deref(), Some("tel:812"), "digits only");
        assert_eq!(mailto("anne@example.com").as_deref(), Some("mailto:anne@example.com"));
        assert_eq!(
            mailto("a\x1b\\b;c@x.example").as_deref(),
            Some("mailto:a%1B%5Cb%3Bc@x.example")
        );
        assert_eq!(mailto("no at sign"), None);
        assert_eq!(mailto("a b@c"), None);
    }

    #[test]
    fn the_wanted_texts_are_found_where_they_were_drawn() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 3));
        buf.set_string(2, 1, "☎ +33 6 12", Style::default());
        buf.set_string(0, 2, "+33 6 1", Style::default());
        let wanted = vec![("+33 6 12".to_string(), "tel:+33612".to_string())];
        assert_eq!(
            regions(&buf, &wanted),
            vec![Region {
                x: 4,
                y: 1,
                width: 8,
                url: "tel:+33612".into()
            }],
            "the cut one on the last row is not linked"
        );
    }

    /// The backend writes the link's cells inside OSC 8, the others not.
    #[test]
    fn the_backend_wraps_the_linked_cells() {
        let placed = Arc::new(Mutex::new(vec![Region {
            x: 1,
            y: 0,
            width: 2,
            url: "tel:12".into(),
        }]));
        let mut written = Vec::new();
        let mut backend = LinkBackend::new(CrosstermBackend::new(&mut written), placed);
        let cells: Vec<Cell> = ["a", "1", "2", "b"].into_iter().map(Cell::new).collect();
        backend
            .draw(cells.iter().enumerate().map(|(x, c)| (x as u16, 0, c)))
            .unwrap();
        drop(backend);
        let out = String::from_utf8_lossy(&written).into_owned();
        let opening = "\x1b]8;;tel:12\x1b\\";
        let open = out.find(opening).expect("opened");
        let close = out.rfind("\x1b]8;;\x1b\\").expect("closed");
        let linked = &out[open + opening.len()..close];
        assert!(linked.contains("12") && !linked.contains(['a', 'b']), "{out:?}");
        assert!(out[..open].contains('a') && out[close..].contains('b'), "{out:?}");
    }
}
