//! The transitive user members of the target groups (`--group`, at most 25).
//!
//! `v1.0/groups/{id}/transitiveMembers?$select=id,userPrincipalName,displayName&$top=999`, every page,
//! groups read in parallel. Only `#microsoft.graph.user` members are kept (Intune ignores device and
//! group members for notifications), deduplicated by id. The group's display name is not read (it
//! would need another request per group): it stays unknown. An unknown group (404) is a source error
//! naming the group id.

use std::collections::HashSet;

use tokio::task::JoinSet;

use super::devices::task_failed;
use super::http::{encode, GraphClient};
use super::paging::{read_all, Listing, Page};
use crate::error::Error;
use crate::source::progress::Phase;
use crate::source::wire::{GraphGroup, GraphMember};

const USER_TYPE: &str = "#microsoft.graph.user";

/// Reads the groups, in the order given (a repeated id is read once); `phase` counts the groups read.
pub(crate) async fn read_groups(client: &GraphClient, ids: &[String], phase: &Phase) -> Result<Vec<GraphGroup>, Error> {
    let mut unique = Vec::new();
    for id in ids.iter().map(|id| id.trim()) {
        if !unique.iter().any(|u: &String| u.eq_ignore_ascii_case(id)) {
            unique.push(id.to_owned());
        }
    }
    phase.total_known(unique.len() as u64);
    let mut tasks = JoinSet::new();
    for (index, id) in unique.iter().cloned().enumerate() {
        let (client, phase) = (client.clone(), phase.clone());
        tasks.spawn(async move {
            let members = read_members(&client, &id).await;
            phase.advance(1);
            members.map(|members| (index, GraphGroup { id: Some(id.into()), display_name: None, members }))
        });
    }
    let mut groups: Vec<Option<GraphGroup>> = vec![None; unique.len()];
    while let Some(joined) = tasks.join_next().await {
        let (index, group) = joined.map_err(task_failed)??;
        if let Some(slot) = groups.get_mut(index) {
            *slot = Some(group);
        }
    }
    Ok(groups.into_iter().flatten().collect())
}

async fn read_members(client: &GraphClient, group: &str) -> Result<Vec<GraphMember>, Error> {
    let url = format!(
        "{}/v1.0/groups/{}/transitiveMembers?$select=id,userPrincipalName,displayName&$top=999",
        client.graph(),
        encode(group)
    );
    let listing = Listing::new(format!("the members of group {group}"), None);
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    read_all(client, &listing, &url, |body| {
        let page: Page<GraphMember> = serde_json::from_slice(body)?;
        for member in page.value {
            let is_user = member.odata_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(USER_TYPE));
            if is_user && seen.insert(member.id.clone()) {
                members.push(member);
            }
        }
        Ok(page.next_link)
    })
    .await?;
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::graph::testkit;
    use serde_json::json;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn keeps_user_members_of_every_page() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        let uri = server.uri();
        Mock::given(method("GET"))
            .and(path("/v1.0/groups/g1/transitiveMembers"))
            .and(query_param("$top", "999"))
            .and(query_param("$select", "id,userPrincipalName,displayName"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [
                    {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@x.test", "displayName": "A"},
                    {"@odata.type": "#microsoft.graph.device", "id": "dev1", "displayName": "PC"},
                    {"@odata.type": "#microsoft.graph.group", "id": "g2", "displayName": "Nested"}
                ],
                "@odata.nextLink": format!("{uri}/v1.0/groups/g1/transitiveMembers?$skiptoken=x")
            })))
            .with_priority(5)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1.0/groups/g1/transitiveMembers"))
            .and(query_param("$skiptoken", "x"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
                {"@odata.type": "#microsoft.graph.user", "id": "u2", "userPrincipalName": "b@x.test"},
                {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@x.test"}
            ]})))
            .with_priority(1)
            .mount(&server)
            .await;
        let groups = read_groups(&client, &["g1".into(), "G1".into()], &Phase::unobserved()).await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].id.as_deref(), Some("g1"));
        assert_eq!(groups[0].display_name, None);
        let ids: Vec<_> = groups[0].members.iter().filter_map(|m| m.id.as_deref()).collect();
        assert_eq!(ids, ["u1", "u2"]);
    }

    #[tokio::test]
    async fn an_unknown_group_is_named_and_a_403_names_the_permission() {
        let server = MockServer::start().await;
        let client = testkit::client(&server).await;
        Mock::given(method("GET"))
            .and(path("/v1.0/groups/nope/transitiveMembers"))
            .respond_with(testkit::graph_error(404, "Request_ResourceNotFound", "Resource 'nope' does not exist."))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1.0/groups/secret/transitiveMembers"))
            .respond_with(testkit::graph_error(403, "Authorization_RequestDenied", "Insufficient privileges."))
            .mount(&server)
            .await;
        let err = testkit::expect_graph_error(read_groups(&client, &["nope".into()], &Phase::unobserved()).await);
        assert_eq!((err.status, err.code.as_deref()), (Some(404), Some("Request_ResourceNotFound")));
        assert_eq!(err.path, "/v1.0/groups/nope/transitiveMembers");
        assert_eq!(err.context, "reading the members of group nope (page 1)");
        assert!(err.hint.as_deref().is_some_and(|h| h.contains("--group")), "{err}");
        let err = testkit::expect_graph_error(read_groups(&client, &["secret".into()], &Phase::unobserved()).await);
        assert_eq!(err.status, Some(403));
        assert!(err.hint.as_deref().is_some_and(|h| h.contains("GroupMember.Read.All")), "{err}");
    }

    #[test]
    fn microsoft_member_examples_parse() {
        let page: Page<GraphMember> = serde_json::from_str(include_str!(
            "../../../tests/fixtures/graph-docs/group-transitiveMembers.example.json"
        ))
        .unwrap();
        assert_eq!(page.value[0].odata_type.as_deref(), Some(USER_TYPE));
        let cast: Page<GraphMember> = serde_json::from_str(include_str!(
            "../../../tests/fixtures/graph-docs/group-transitiveMembers-user-cast.example.json"
        ))
        .unwrap();
        assert_eq!(cast.value[0].display_name.as_deref(), Some("Joseph Price"));
    }
}
