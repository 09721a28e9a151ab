//! Sharing: the embed code, copied links, the address bar.

use super::*;

impl PageState {
    pub(super) fn share(&mut self, msg: ShareMsg) -> bool {
        match msg {
            ShareMsg::EmbedPanelToggled(panel) => self.share.toggle_panel(panel),
            ShareMsg::EmbedHostTyped(text) => self.share.set_embed_host(&text),
            ShareMsg::CopyEmbedClicked => {
                self.share.embed_code = self.share.embed_snippet(&self.link_view());
                self.out.push(Effect::Copy {
                    what: "Embed code",
                    text: self.share.embed_code.clone(),
                });
            }
            ShareMsg::CopyLinkClicked => self.out.push(Effect::Copy {
                what: "Link",
                text: self.share.url_for(&self.link_view()),
            }),
            ShareMsg::Copied(what, Ok(())) => {
                self.status = format!("{what} copied to the clipboard.")
            }
            ShareMsg::Copied(what, Err(e)) => {
                self.status =
                    format!("{what} could not be copied ({e}); select it and copy by hand.")
            }
            ShareMsg::UrlNoticesDismissed => self.share.url_notices.clear(),
            ShareMsg::UrlSyncDue => {
                if let Some(query) = self.share.sync(&self.view) {
                    self.out.push(Effect::ReplaceQuery(query));
                }
                return false;
            }
        }
        true
    }
}
