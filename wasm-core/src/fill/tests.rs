use super::*;

fn field(index: u32) -> Field {
    Field {
        index,
        kind: "text".into(),
        visible: true,
        enabled: true,
        width: 200,
        ..Field::default()
    }
}

fn with(index: u32, f: impl FnOnce(&mut Field)) -> Field {
    let mut x = field(index);
    f(&mut x);
    x
}

#[test]
fn autocomplete_one_time_code_wins() {
    let fields = [
        with(0, |f| f.name = "username".into()),
        with(1, |f| f.name = "code".into()),
        with(2, |f| f.autocomplete = "one-time-code".into()),
    ];
    assert_eq!(plan(&fields, 6), Plan::Single { index: 2 });
}

#[test]
fn labels_in_several_languages() {
    for label in [
        "Verification code",
        "Bestätigungscode",
        "Código de verificación",
        "Code de vérification",
        "Enter your 2FA code",
        "認証コード",
        "验证码",
        "Код подтверждения",
    ] {
        let fields = [with(0, |f| f.label = label.to_lowercase()), field(1)];
        assert_eq!(plan(&fields, 6), Plan::Single { index: 0 }, "{label}");
    }
}

#[test]
fn a_weak_word_needs_numeric_input_and_length() {
    let plain = [with(0, |f| f.name = "code".into())];
    assert_eq!(plan(&plain, 6), Plan::Nothing);
    let backed = [with(0, |f| {
        f.name = "code".into();
        f.inputmode = "numeric".into();
        f.max_length = Some(6);
    })];
    assert_eq!(plan(&backed, 6), Plan::Single { index: 0 });
}

#[test]
fn never_a_password_search_hidden_disabled_or_readonly_field() {
    let bad = [
        with(0, |f| {
            f.kind = "password".into();
            f.label = "one-time password".into();
        }),
        with(1, |f| {
            f.kind = "search".into();
            f.placeholder = "otp".into();
        }),
        with(2, |f| {
            f.name = "otp".into();
            f.visible = false;
        }),
        with(3, |f| {
            f.name = "otp".into();
            f.enabled = false;
        }),
        with(4, |f| {
            f.name = "otp".into();
            f.readonly = true;
        }),
        with(5, |f| {
            f.kind = "hidden".into();
            f.autocomplete = "one-time-code".into();
        }),
    ];
    assert_eq!(plan(&bad, 6), Plan::Nothing);
}

#[test]
fn the_decoy_search_box_is_passed_over() {
    let fields = [
        with(0, |f| {
            f.name = "q".into();
            f.placeholder = "search codes".into();
            f.max_length = Some(6);
        }),
        with(1, |f| {
            f.id = "otp".into();
            f.inputmode = "numeric".into();
        }),
    ];
    assert_eq!(plan(&fields, 6), Plan::Single { index: 1 });
}

#[test]
fn six_boxes_in_a_row_are_split_in_visual_order() {
    let mut fields: Vec<Field> = (0..6)
        .map(|i| {
            with(i + 10, |f| {
                f.max_length = Some(1);
                f.inputmode = "numeric".into();
                // Document order differs from visual order for two boxes.
                f.x = if i == 2 {
                    500
                } else if i == 5 {
                    100
                } else {
                    200 + i as i32 * 10
                };
                f.y = 300;
                f.group = 1;
            })
        })
        .collect();
    fields.push(with(1, |f| f.name = "remember".into()));
    match plan(&fields, 6) {
        Plan::Split { indices } => {
            assert_eq!(indices.len(), 6);
            assert_eq!(indices[0], 15, "leftmost first");
            assert_eq!(indices[5], 12, "rightmost last");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn split_boxes_must_match_the_code_length() {
    let fields: Vec<Field> = (0..6)
        .map(|i| {
            with(i, |f| {
                f.max_length = Some(1);
                f.x = i as i32 * 40;
                f.group = 1;
            })
        })
        .collect();
    assert_eq!(
        plan(&fields, 8),
        Plan::Nothing,
        "8 digits do not go into 6 boxes"
    );
}

#[test]
fn a_field_too_short_for_the_code_is_skipped() {
    let fields = [with(0, |f| {
        f.name = "otp".into();
        f.max_length = Some(6);
    })];
    assert_eq!(plan(&fields, 8), Plan::Nothing);
    assert_eq!(plan(&fields, 6), Plan::Single { index: 0 });
}

#[test]
fn fields_come_from_json_with_missing_keys() {
    let f: Vec<Field> = serde_json::from_str(
        r#"[{"index": 3, "type": "tel", "autocomplete": "one-time-code", "visible": true, "enabled": true}]"#,
    )
    .expect("parses");
    assert_eq!(plan(&f, 6), Plan::Single { index: 3 });
}
