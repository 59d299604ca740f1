//! Group transitive members: nesting, cycles, paging and `$select`.

use super::*;

#[tokio::test]
async fn groups_transitive_members_with_nesting_and_cycles() {
    let server = serve(20, options()).await;
    let token = token(&server).await;
    let url = |g: &str, query: &str| format!("{}/v1.0/groups/{g}/transitiveMembers{query}", server.url);
    let all = pages(&url("g0", "?$select=id,userPrincipalName,displayName"), &token).await;
    assert_eq!(all.len(), 1);
    let members = all[0]["value"].as_array().unwrap();
    let summary: Vec<(&str, &str)> =
        members.iter().map(|m| (m["@odata.type"].as_str().unwrap(), m["id"].as_str().unwrap())).collect();
    assert_eq!(
        summary,
        [
            ("#microsoft.graph.user", "user-0"),
            ("#microsoft.graph.user", "user-1"),
            ("#microsoft.graph.user", "user-2"),
            ("#microsoft.graph.user", "user-3"),
            ("#microsoft.graph.device", "dev-00000"),
            ("#microsoft.graph.group", "g1"),
            ("#microsoft.graph.group", "g2"),
        ]
    );
    assert_eq!(members[0]["userPrincipalName"], "user0@contoso.com");
    assert_eq!(members[0]["displayName"], "User 0");
    assert_eq!(members[4]["displayName"], "Device 0");
    assert!(members[4].get("userPrincipalName").is_none());
    assert_eq!(members[5]["displayName"], "Group g1");

    // g1 -> g2 -> g1 (cycle) and g2 -> g0: g1 reaches everything but itself.
    let paged = pages(&url("g1", "?$select=id&$top=2"), &token).await;
    assert_eq!(paged.len(), 4);
    assert_eq!(ids(&paged), ["user-0", "user-1", "user-2", "user-3", "dev-00000", "g0", "g2"]);
    assert!(paged[0]["value"][0].get("displayName").is_none(), "$select=id");
    assert!(paged[0]["@odata.nextLink"].as_str().unwrap().contains("$top=2"));

    assert_eq!(get(&url("g3", ""), &token).await.body["value"], json!([]));
    assert_graph_error(&get(&url("nope", ""), &token).await, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_graph_error(&get(&url("g0", "?$top=1000"), &token).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(server.stats().group_pages, 1 + 4 + 3);
    server.shutdown().await;
}
