//! The page's own state, as plain Rust with no browser types, tested natively. `state`'s
//! `PageState` takes each `Msg` and returns `Effect`s, which the one Yew component in `web/`
//! carries out; its parts each hold one concern. Also what a link carries (`url_state`) and
//! what host pages may say (`host_api`).

pub mod effect;
pub mod explain;
pub mod host_api;
pub mod host_bridge;
pub mod inspector;
pub mod keeper;
pub mod kernels;
pub mod map_view;
pub mod maths;
pub mod model_slot;
pub mod msg;
pub mod own_data;
pub mod pretrained;
pub mod readout;
pub mod runs;
pub mod share;
pub mod slowmo;
pub mod state;
pub mod stop_rule;
pub mod sweep;
pub mod tour;
pub mod trainer_link;
pub mod url_state;
