/* 子育て支援システム 画面共通スクリプト
 * - 児童を追加: appends child row N+1 (ids/names/labels renumbered, values cleared), max 10.
 * - 登録: confirm('登録してよろしいですか？'); OK submits, cancel does nothing.
 */
(function () {
  'use strict';

  function renumber(row, n) {
    var pattern = /_\d+$/;
    row.setAttribute('data-index', String(n));
    row.querySelector('.rowno').textContent = '児童' + n;
    Array.prototype.forEach.call(row.querySelectorAll('[id]'), function (el) {
      el.id = el.id.replace(pattern, '_' + n);
    });
    Array.prototype.forEach.call(row.querySelectorAll('[name]'), function (el) {
      el.name = el.name.replace(pattern, '_' + n);
    });
    Array.prototype.forEach.call(row.querySelectorAll('label[for]'), function (el) {
      el.htmlFor = el.htmlFor.replace(pattern, '_' + n);
    });
  }

  function setUpChildren() {
    var button = document.getElementById('add_child');
    var tbody = document.querySelector('#children tbody');
    if (!button || !tbody) { return; }
    var max = parseInt(button.getAttribute('data-max'), 10) || 10;
    function rows() { return tbody.querySelectorAll('tr.child-row'); }
    function refresh() { button.disabled = rows().length >= max; }
    button.addEventListener('click', function () {
      var current = rows();
      if (current.length >= max) { return; }
      var row = current[0].cloneNode(true);
      renumber(row, current.length + 1);
      Array.prototype.forEach.call(row.querySelectorAll('input'), function (el) {
        el.value = '';
        el.setAttribute('value', '');
      });
      Array.prototype.forEach.call(row.querySelectorAll('select'), function (el) {
        Array.prototype.forEach.call(el.options, function (o) { o.defaultSelected = false; });
        el.selectedIndex = 0;
      });
      tbody.appendChild(row);
      refresh();
    });
    refresh();
  }

  function setUpConfirm() {
    var form = document.getElementById('nintei_form') || document.querySelector('form[data-confirm]');
    var button = document.getElementById('register');
    if (!form || !button) { return; }
    form.addEventListener('submit', function (event) {
      if (!window.confirm('登録してよろしいですか？')) {
        event.preventDefault();
        return;
      }
      button.disabled = true; /* no double registration by a second click */
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    setUpChildren();
    setUpConfirm();
  });
}());
