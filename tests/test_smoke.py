from tests.conftest import login


def test_case_manager_sees_own_client_list(client, world):
    login(client, world.a.case_manager_email)
    response = client.get("/admin/clients/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.a.client_name in body
    assert world.b.client_name not in body
