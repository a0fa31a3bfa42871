//! What the window remembers between runs (language, zoom, theme, last server; never a
//! password), and how it applies the look.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::proto::Lang;
use crate::session::{Protocol, Security};

pub const MIN_ZOOM: f32 = 0.6;
pub const MAX_ZOOM: f32 = 3.0;
pub const ZOOM_STEP: f32 = 0.1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    pub zoom: f32,
    pub dark: bool,
    /// The preset id last chosen (`practice`, `qq`, …).
    pub preset: String,
    pub protocol: Protocol,
    pub security: Security,
    pub host: String,
    pub port: u16,
    /// The login name for AUTH / USER. The password is never stored.
    pub username: String,
    /// How far the student got in each lesson, by lesson id.
    pub lessons: BTreeMap<String, super::lesson::Mark>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::En,
            zoom: 1.0,
            dark: false,
            preset: "practice".into(),
            protocol: Protocol::Smtp,
            security: Security::None,
            host: String::new(),
            port: 0,
            username: "student@mailtutor.test".into(),
            lessons: BTreeMap::new(),
        }
    }
}

impl Settings {
    pub const KEY: &'static str = "mailtutor.settings";

    /// Clamps values a hand-edited or older settings file may hold.
    pub fn sanitized(mut self) -> Self {
        if !self.zoom.is_finite() {
            self.zoom = 1.0;
        }
        self.zoom = self.zoom.clamp(MIN_ZOOM, MAX_ZOOM);
        self
    }
}

/// The color of secondary text ("Likely cause", times, hints) in each theme: egui's default
/// (the text color at 60% alpha) falls to about 3:1 against the panel, which a projector
/// washes out; these keep it above the 4.5:1 of WCAG AA.
fn weak_text(theme: egui::Theme) -> egui::Color32 {
    match theme {
        egui::Theme::Dark => egui::Color32::from_gray(165),
        egui::Theme::Light => egui::Color32::from_gray(100),
    }
}

/// Sets a slightly larger base text size for both themes, which reads better on a projector,
/// and secondary text that keeps its contrast.
pub fn install_text_sizes(ctx: &egui::Context) {
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        ctx.style_mut_of(theme, |style| {
            style.visuals.weak_text_color = Some(weak_text(theme));
            use egui::{FontFamily, FontId, TextStyle};
            style.text_styles = [
                (
                    TextStyle::Heading,
                    FontId::new(19.0, FontFamily::Proportional),
                ),
                (TextStyle::Body, FontId::new(14.5, FontFamily::Proportional)),
                (
                    TextStyle::Monospace,
                    FontId::new(13.5, FontFamily::Monospace),
                ),
                (
                    TextStyle::Button,
                    FontId::new(14.5, FontFamily::Proportional),
                ),
                (
                    TextStyle::Small,
                    FontId::new(11.5, FontFamily::Proportional),
                ),
            ]
            .into();
        });
    }
}

/// Applies the theme and the zoom of the settings, where they differ from the window's.
pub fn apply(ctx: &egui::Context, settings: &Settings) {
    let theme = if settings.dark {
        egui::ThemePreference::Dark
    } else {
        egui::ThemePreference::Light
    };
    if ctx.options(|o| o.theme_preference) != theme {
        ctx.set_theme(theme);
    }
    if (ctx.zoom_factor() - settings.zoom).abs() > f32::EPSILON {
        ctx.set_zoom_factor(settings.zoom);
    }
}

/// The badge color of a reply class: 2xx green, 3xx blue, 4xx amber, 5xx red.
pub fn code_color(code: u16, dark: bool) -> egui::Color32 {
    use egui::Color32;
    match (code / 100, dark) {
        (2, false) => Color32::from_rgb(0x1b, 0x7f, 0x3b),
        (2, true) => Color32::from_rgb(0x3f, 0xb9, 0x5f),
        (3, false) => Color32::from_rgb(0x1f, 0x5f, 0xbf),
        (3, true) => Color32::from_rgb(0x5a, 0x9c, 0xf8),
        (4, false) => Color32::from_rgb(0xb0, 0x6a, 0x00),
        (4, true) => Color32::from_rgb(0xf0, 0xa0, 0x30),
        (5, false) => Color32::from_rgb(0xc0, 0x1c, 0x28),
        (5, true) => Color32::from_rgb(0xff, 0x6b, 0x6b),
        (_, _) => Color32::GRAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2 contrast ratio of two opaque colors.
    fn contrast(a: egui::Color32, b: egui::Color32) -> f32 {
        let lum = |c: egui::Color32| {
            let f = |v: u8| {
                let v = v as f32 / 255.0;
                if v <= 0.039_28 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * f(c.r()) + 0.7152 * f(c.g()) + 0.0722 * f(c.b())
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn secondary_text_keeps_its_contrast_in_both_themes() {
        let ctx = egui::Context::default();
        install_text_sizes(&ctx);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            let mut weak = egui::Color32::TRANSPARENT;
            let mut panel = egui::Color32::TRANSPARENT;
            ctx.style_mut_of(theme, |s| {
                weak = s.visuals.weak_text_color();
                panel = s.visuals.panel_fill;
            });
            let c = contrast(weak, panel);
            assert!(c >= 4.5, "{theme:?}: {c:.2}:1");
        }
    }

    #[test]
    fn settings_never_hold_a_password_and_survive_bad_values() {
        let s = Settings::default();
        let text = toml::to_string(&s).unwrap_or_default();
        assert!(!text.to_lowercase().contains("password"));
        let odd = Settings {
            zoom: f32::NAN,
            ..Settings::default()
        };
        assert_eq!(odd.sanitized().zoom, 1.0);
        let big = Settings {
            zoom: 40.0,
            ..Settings::default()
        };
        assert_eq!(big.sanitized().zoom, MAX_ZOOM);
    }
}

/// Clicks made after a zoom change, before the pointer moves again, put where the pointer is.
///
/// The native shell turns a click into a position in points with the zoom of the pointer's
/// last move, so with the mouse at rest a second click on A+ or A- landed where the pointer
/// had been before the zoom (on the language button, or on nothing). Until a real move, such a
/// click is scaled to the zoom now in force, and a move to the same place goes before it so
/// the widget under it is hovered.
#[derive(Debug, Default)]
pub struct PointerZoom {
    /// The zoom in force when the pointer last moved.
    moved_at: Option<f32>,
}

impl PointerZoom {
    pub fn fix(&mut self, zoom: f32, events: &mut Vec<egui::Event>) {
        let mut out = Vec::with_capacity(events.len());
        for mut e in events.drain(..) {
            match &mut e {
                egui::Event::PointerMoved(_) => self.moved_at = Some(zoom),
                egui::Event::PointerButton { pos, .. } => {
                    if let Some(then) = self.moved_at
                        && then != zoom
                        && zoom > 0.0
                    {
                        *pos = egui::pos2(pos.x * then / zoom, pos.y * then / zoom);
                        out.push(egui::Event::PointerMoved(*pos));
                    }
                }
                _ => {}
            }
            out.push(e);
        }
        *events = out;
    }
}

#[cfg(test)]
mod pointer_tests {
    use super::PointerZoom;
    use egui::{Event, Modifiers, PointerButton, pos2};

    fn click(x: f32) -> Event {
        Event::PointerButton {
            pos: pos2(x, 10.0),
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        }
    }

    #[test]
    fn a_click_after_a_zoom_lands_where_the_pointer_is() {
        let mut p = PointerZoom::default();
        let mut events = vec![Event::PointerMoved(pos2(1200.0, 10.0)), click(1200.0)];
        p.fix(1.0, &mut events);
        assert_eq!(events.len(), 2, "no zoom change: nothing is touched");
        // The zoom went to 110% with the pointer at rest: the shell still reports the
        // position in points of 100%.
        let mut events = vec![click(1200.0)];
        p.fix(1.1, &mut events);
        let want = pos2(1200.0 / 1.1, 10.0 / 1.1);
        assert!(matches!(events[0], Event::PointerMoved(at) if (at - want).length() < 0.01));
        assert!(
            matches!(events[1], Event::PointerButton { pos, .. } if (pos - want).length() < 0.01)
        );
        // Once the pointer moves, positions are right again.
        let mut events = vec![Event::PointerMoved(pos2(5.0, 5.0)), click(5.0)];
        p.fix(1.1, &mut events);
        assert!(matches!(events[1], Event::PointerButton { pos, .. } if pos == pos2(5.0, 10.0)));
    }
}
