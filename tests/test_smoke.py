def test_case_manager_sees_own_client_list(client, auth, world):
    auth.login(world.a.case_manager_email)
    response = client.get("/admin/clients/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.a.client_name in body
    assert world.b.client_name not in body


def test_coordinator_start_page_shows_the_year_summary_without_persons(client, auth, world):
    auth.login(world.coordinator_email)
    body = client.get("/admin/").get_data(as_text=True)
    assert "Dieses Jahr, alle Organisationen" in body
    assert world.a.client_name not in body
    assert world.b.client_name not in body


def test_admin_start_page_has_no_statistics(client, auth, world):
    auth.login(world.admin_email)
    body = client.get("/admin/").get_data(as_text=True)
    assert "alle Organisationen" not in body
