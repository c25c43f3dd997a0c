from django.urls import path

from apis import views

app_name = "apis"

urlpatterns = [
    path("colors/", views.ColorListCreateApi.as_view(), name="colors"),
    path("colors/palettes/", views.PaletteListApi.as_view(), name="palettes"),
]
