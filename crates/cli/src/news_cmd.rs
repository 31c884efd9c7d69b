//! `tradelab data import-news` and `tradelab data news`: news items in the store, for
//! the LLM agent's `search_news` tool. News is private to the account importing it.

use crate::args::OutputFormat;
use crate::display;
use crate::store_args::{ImportNewsArgs, NewsListArgs};
use crate::store_ctx::Ctx;
use anyhow::{Context, Result};
use std::path::Path;
use tradelab_core::Symbol;
use tradelab_data::{NewsError, NewsItem};
use tradelab_store::{NewsId, PageRequest, StoredNews};

/// The items of a news file (see [`tradelab_data::parse_news_file`]).
fn read_items(file: &Path) -> Result<Vec<NewsItem>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read news file {}", file.display()))?;
    tradelab_data::parse_news_file(&file.display().to_string(), &text).map_err(|e| match e {
        NewsError::JsonArray => anyhow::anyhow!("{}: {e}", file.display()),
        e => anyhow::anyhow!("{}: {e}; nothing was imported", file.display()),
    })
}

/// `data import-news FILE`: reads every item first (a malformed file stores nothing),
/// then stores them in one transaction and says how many were new.
pub async fn import(ctx: &Ctx, a: &ImportNewsArgs) -> Result<()> {
    let items = read_items(&a.file)?;
    let r = ctx.store.news().import(ctx.user.id, &items).await?;
    let stored = ctx.store.news().count(ctx.user.id).await?;
    match a.output {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "file": a.file.display().to_string(),
                "items": items.len(),
                "inserted": r.inserted,
                "unchanged": r.unchanged,
                "stored": stored,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        OutputFormat::Table if items.is_empty() => {
            println!("{}: no news items", a.file.display());
        }
        OutputFormat::Table => {
            let what = if r.inserted == 0 {
                "nothing new".to_string()
            } else {
                format!("{} new", display::count(r.inserted))
            };
            let n = items.len() as u64;
            println!(
                "{}: {} news item{}, {what}, {} unchanged ({} stored in all)",
                a.file.display(),
                display::count(n),
                if n == 1 { "" } else { "s" },
                display::count(r.unchanged),
                display::count(stored)
            );
        }
    }
    Ok(())
}

/// The symbols of an item, comma-separated; `-` for general market news.
fn symbols_text(n: &NewsItem) -> String {
    if n.symbols.is_empty() {
        return "-".to_string();
    }
    let names: Vec<&str> = n.symbols.iter().map(Symbol::as_str).collect();
    names.join(",")
}

/// `data news`: one page of the user's news, newest first; the table ends with the
/// command for the next page.
pub async fn list(ctx: &Ctx, a: &NewsListArgs) -> Result<()> {
    let symbol = a
        .symbol
        .as_deref()
        .map(Symbol::new)
        .transpose()
        .context("--symbol")?;
    let request = PageRequest {
        limit: a.limit,
        after: a.after.map(NewsId),
    };
    let page = ctx
        .store
        .news()
        .list(ctx.user.id, symbol.as_ref(), request)
        .await
        .map_err(|e| match e {
            tradelab_store::StoreError::NotFound { .. } => anyhow::anyhow!(
                "--after {}: no such news item of yours; use the next_after of the previous page",
                a.after.unwrap_or_default()
            ),
            e => e.into(),
        })?;
    match a.output {
        OutputFormat::Json => print_json(&page.items, page.next_after)?,
        OutputFormat::Table if page.items.is_empty() && a.after.is_some() => {
            println!("no more news");
        }
        OutputFormat::Table if page.items.is_empty() => match &symbol {
            Some(s) => println!("no stored news mentions {s}"),
            None => println!("no stored news; import a file with `tradelab data import-news FILE`"),
        },
        OutputFormat::Table => {
            print_table(&page.items);
            if let Some(next) = page.next_after {
                let filter = symbol
                    .as_ref()
                    .map(|s| format!(" --symbol {s}"))
                    .unwrap_or_default();
                println!(
                    "more news: tradelab data news{filter} --limit {} --after {next}",
                    a.limit
                );
            }
        }
    }
    Ok(())
}

/// The page as JSON: its items (with their bodies) and the next page's cursor.
fn print_json(items: &[StoredNews], next_after: Option<NewsId>) -> Result<()> {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id,
                "time": display::json_time(n.item.published),
                "symbols": n.item.symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
                "source": n.item.source,
                "headline": n.item.headline,
                "body": n.item.body,
            })
        })
        .collect();
    let doc = serde_json::json!({ "items": items, "next_after": next_after });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

/// The page as a table: id, time, symbols, source, headline.
fn print_table(items: &[StoredNews]) {
    println!(
        "{:>6}  {:<20}  {:<16}  {:<16}  headline",
        "id", "time", "symbols", "source"
    );
    for n in items {
        println!(
            "{:>6}  {:<20}  {:<16}  {:<16}  {}",
            n.id,
            display::instant(n.item.published),
            display::one_line(&symbols_text(&n.item), 16),
            display::one_line(&n.item.source, 16),
            display::one_line(&n.item.headline, 80)
        );
    }
}
