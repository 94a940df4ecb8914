//! A client's last settlements, as the card lists them and the
//! correction forms (`edit_record`, `delete_record`) name them.

use rapport::domain::{ClientId, Settlement};
use rapport::model::Model;

use crate::tui::view::Ctx;

/// How many of a client's settlements the card shows and the correction
/// forms offer.
const LAST_SETTLEMENTS: usize = 8;

/// The client's last settlements, newest first.
pub fn last_settlements(client: ClientId, cx: &mut Ctx) -> Result<Vec<Settlement>, String> {
    let mut all = cx
        .data
        .settlements_of(client)
        .map_err(|e| format!("Cannot read the settlements: {e}"))?;
    all.sort_by_key(|s| std::cmp::Reverse((s.date, s.id)));
    all.truncate(LAST_SETTLEMENTS);
    Ok(all)
}

/// `1  03/11/26  1,200.00  crm  INV-12`: the settlements as the card and
/// the correction forms number them.
pub fn numbered(settlements: &[Settlement], model: &Model) -> Vec<String> {
    settlements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let product = s
                .product
                .and_then(|p| model.products.get(&p))
                .map_or("", |p| p.code.as_str());
            format!(
                "{}  {}  {:>12}  {product}  {}",
                i + 1,
                s.date.format("%d/%m/%y"),
                crate::tui::views::money(s.amount.0),
                s.doc
            )
        })
        .collect()
}
