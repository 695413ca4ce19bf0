// 健康管理システム: the 登録 form asks before it posts (window.confirm with the form's data-confirm).
document.addEventListener("DOMContentLoaded", function () {
  var forms = document.querySelectorAll("form[data-confirm]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      if (!window.confirm(this.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }
});
