// fr.js - the French catalogue (i18n.js): the keys of en.js, the same
// placeholders, plural forms where the phrase depends on a number.

export default {
    'lang.label': 'Langue',
    'lang.en': 'English',
    'lang.fr': 'Français',

    'title.landing': 'conclave',
    'title.prejoin': 'Rejoindre une réunion – conclave',
    'title.waiting': 'En attente d’admission – conclave',
    'title.call': 'En réunion – conclave',
    'title.left': 'Vous avez quitté la réunion – conclave',

    'landing.lead':
        'Des réunions vidéo sur un serveur géré par votre propre organisation, depuis ce ' +
        'navigateur, sans rien installer.',
    'landing.noscript':
        'Cette page a besoin de JavaScript pour accéder à votre caméra et à votre micro.',
    'landing.start.title': 'Lancer une réunion',
    'landing.start.text':
        'Une nouvelle salle reçoit un long nom aléatoire que personne ne peut deviner. ' +
        'Envoyez son lien aux personnes que vous invitez.',
    'landing.create': 'Créer une salle',
    'landing.join.title': 'Rejoindre une réunion',
    'landing.room-label': 'Nom ou lien de la salle',
    'landing.join': 'Rejoindre',
    'landing.room-empty': 'Saisissez le nom de la salle, ou collez son lien.',
    'landing.room-bad':
        'Ce n’est ni un nom ni un lien de salle : un nom de salle compte de 1 à 64 lettres, ' +
        'chiffres, - ou _.',
    'landing.bad-link':
        'Ce lien ne désigne aucune salle : un nom de salle compte de 1 à 64 lettres, ' +
        'chiffres, - ou _.',

    'check.title': 'Tester la caméra et le micro',
    'check.text':
        'Le serveur vous renvoie votre image et votre voix, telles que les autres ' +
        'participants les recevraient. Utilisez un casque, ou baissez le volume, pour ' +
        'éviter l’écho.',
    'check.start': 'Tester ma caméra et mon micro',
    'check.stop': 'Arrêter',
    'check.local': 'Votre caméra, avant l’envoi',
    'check.remote': 'Vous, tel que le serveur vous renvoie (avec le son)',
    'check.stopped': 'Arrêté.',
    'check.no-media':
        'Ce navigateur ne peut pas accéder à une caméra depuis cette page. Ouvrez-la en https.',
    'check.contacting': 'Connexion au serveur…',
    'check.refused': 'Le serveur n’a pas pu lancer le test : {reason}',
    'check.state.new': 'Connexion…',
    'check.state.connecting': 'Connexion au serveur en cours…',
    'check.state.connected':
        'Connecté. Vous devriez vous voir et vous entendre dans la seconde image.',
    'check.state.disconnected': 'La connexion est interrompue ; tentative de reprise…',
    'check.state.failed':
        'La connexion a échoué. Vérifiez que rien ne bloque l’UDP vers le serveur, puis ' +
        'réessayez.',
    'check.state.closed': 'Non connecté.',

    'status.idle': 'Non connecté.',
    'room.label': 'Salle',

    'prejoin.title': 'Prêt à rejoindre la réunion ?',
    'prejoin.recording':
        'Cette réunion est enregistrée. Vous pouvez couper votre caméra et votre micro ' +
        'avant de la rejoindre.',
    'prejoin.preview': 'Aperçu de votre caméra',
    'prejoin.camera-is-off': 'Votre caméra est coupée',
    'prejoin.echo-caption': 'Tel que le serveur vous renvoie',
    'prejoin.name': 'Votre nom',
    'prejoin.name-hint': 'Affiché aux autres ; mémorisé dans ce navigateur.',
    'prejoin.password': 'Mot de passe de la salle',
    'prejoin.password-hint':
        'Cette salle demande un mot de passe. Il n’est gardé que pour cet onglet.',
    'prejoin.join': 'Rejoindre',
    'prejoin.invite': 'Lien d’invitation',
    'prejoin.copy': 'Copier le lien',
    'prejoin.copied': 'Le lien d’invitation est copié.',
    'prejoin.copy-by-hand': 'Sélectionnez le lien et copiez-le (Ctrl+C ou ⌘C).',
    'prejoin.no-media':
        'Ce navigateur ne peut pas accéder à une caméra ni à un micro depuis cette page ' +
        '(il faut https). Vous pouvez tout de même rejoindre la réunion pour voir et ' +
        'entendre les autres.',
    'prejoin.device-error':
        '{reason} Vous pouvez tout de même rejoindre la réunion pour voir et entendre les autres.',
    'prejoin.only-camera': 'Seule votre caméra a pu être ouverte : {reason}',
    'prejoin.only-mic': 'Seul votre micro a pu être ouvert : {reason}',
    'prejoin.ready': 'Votre caméra et votre micro sont prêts.',
    'prejoin.password-problem': 'Saisissez le mot de passe de la salle. {problem}',
    'prejoin.guest': 'Invité',
    'prejoin.join-failed': 'Impossible de rejoindre la salle : {reason}',

    'echo.needs-media': 'Le test d’écho demande une caméra ou un micro.',
    'echo.contacting': 'Test d’écho : connexion au serveur…',
    'echo.refused': 'Le serveur n’a pas pu lancer le test d’écho : {reason}',
    'echo.stopped': 'Test d’écho arrêté.',
    'echo.state.new': 'Test d’écho : connexion…',
    'echo.state.connecting': 'Test d’écho : connexion au serveur en cours…',
    'echo.state.connected':
        'Test d’écho en cours : la seconde image, c’est vous tel que le serveur vous ' +
        'renvoie, avec le son. Appuyez de nouveau sur le bouton pour l’arrêter.',
    'echo.state.disconnected': 'Test d’écho : la connexion est interrompue…',
    'echo.state.failed':
        'Test d’écho : la connexion a échoué. Vérifiez que rien ne bloque l’UDP vers le ' +
        'serveur.',

    'device.camera': 'Caméra',
    'device.microphone': 'Micro',
    'device.camera-n': 'Caméra {n}',
    'device.microphone-n': 'Micro {n}',
    'device.no-camera': 'Aucune caméra',
    'device.no-microphone': 'Aucun micro',
    'device.asking': 'Demande d’accès à votre caméra et à votre micro…',
    'device.camera-changed': 'Caméra changée.',
    'device.microphone-changed': 'Micro changé.',
    'device.not-allowed':
        'Le navigateur n’a pas été autorisé à utiliser la caméra ou le micro. Autorisez-les ' +
        'pour ce site et réessayez.',
    'device.not-found': 'Aucune caméra ni aucun micro n’a été trouvé.',
    'device.in-use': 'La caméra ou le micro est utilisé par un autre programme.',
    'device.gone': 'La caméra ou le micro choisi n’est plus disponible.',
    'device.other': 'Impossible d’utiliser la caméra ou le micro.',

    'lowdata.label': 'Audio seul : ne recevoir aucune vidéo',
    'lowdata.hint':
        'Économise les données sur une connexion faible ou coûteuse. Envoyer votre caméra ' +
        'reste votre choix.',
    'lowdata.notice': 'Audio seul : vous ne recevez aucune vidéo, pour économiser les données',
    'lowdata.on': 'Audio seul : vous ne recevez plus de vidéo.',
    'lowdata.off': 'Vous recevez de nouveau la vidéo.',

    'settings.title': 'Réglages',

    'waiting.title': 'Vous attendez qu’un modérateur vous fasse entrer',
    'waiting.preview': 'Votre caméra, envoyée à personne pour l’instant',
    'waiting.note':
        'Un modérateur de la réunion a été prévenu de votre arrivée. Rien de vous n’est ' +
        'envoyé avant qu’il vous fasse entrer.',
    'waiting.leave': 'Ne plus attendre',
    'waiting.stopped': 'Vous avez cessé d’attendre.',

    'left.title': 'Vous avez quitté la réunion',
    'left.rejoin': 'Rejoindre de nouveau',
    'left.home': 'Retour à l’accueil',

    'call.title': 'Réunion',
    'call.video': 'La réunion',
    'call.recording': 'Enregistrement',
    'call.joining': 'Connexion à la salle…',
    'call.removed': 'Le modérateur vous a retiré de la réunion.',

    'stage.joining': 'Connexion…',
    'stage.connecting': 'Connexion en cours…',
    'stage.reconnecting': 'Reconnexion…',
    'stage.moving': 'Passage dans votre groupe…',
    'stage.back': 'Retour dans la salle principale…',
    'stage.paused': 'Vidéo en pause : connexion trop faible',
    'stage.enable-sound': 'Cliquez pour activer le son',
    'stage.sound-on': 'Le son est activé.',
    'stage.sound-held':
        'Le navigateur a bloqué le son. Utilisez « Cliquez pour activer le son ».',
    'stage.you-present': 'Vous présentez',
    'stage.presenting': '{name} présente',
    'stage.screen-shared': 'Un écran est partagé',

    'bar.label': 'Commandes de l’appel',
    'bar.mute': 'Couper le micro',
    'bar.camera-off': 'Couper la caméra',
    'bar.share': 'Partager l’écran',
    'bar.hand': 'Lever la main',
    'bar.leave': 'Quitter',
    'bar.mic-off': 'Votre micro est coupé.',
    'bar.mic-on': 'Votre micro est activé.',
    'bar.camera-is-off': 'Votre caméra est coupée.',
    'bar.camera-is-on': 'Votre caméra est activée.',
    'bar.hand-raised': 'Vous avez levé la main.',
    'bar.hand-lowered': 'Vous avez baissé la main.',

    'floor.muted':
        'Le modérateur a coupé votre micro. Levez la main pour demander la parole.',
    'floor.moderator-muted': 'Le modérateur a coupé votre micro.',
    'floor.given': 'Vous avez la parole : votre micro est activé.',

    'panel.label': 'Participants et discussion',
    'panel.people': 'Participants',
    'panel.chat': 'Discussion',
    'people.joined': '{name} a rejoint la réunion.',
    'people.left': '{name} a quitté la réunion.',
    'people.hand': '{name} lève la main.',
    'people.someone': 'Quelqu’un',
    'people.this-one': 'ce participant',
    'mark.speaking': 'en train de parler',
    'mark.hand': 'main levée',
    'mark.screen': 'partage un écran',
    'mark.camera-off': 'caméra coupée',
    'mark.mic-off': 'micro coupé',
    'mark.moderator': 'modérateur',
    'mark.floor': 'a la parole',

    'chat.label': 'Message',
    'chat.placeholder': 'Message à tous',
    'chat.send': 'Envoyer',
    'chat.too-long': 'Le message est trop long ({max} octets au plus).',
    'chat.not-sent': 'Le message n’a pas été envoyé : pas de connexion.',

    'mod.title': 'Vous modérez cette salle',
    'mod.layout': 'Disposition',
    'mod.lock': 'Verrouiller la salle',
    'mod.unlock': 'Déverrouiller la salle',
    'mod.record': 'Enregistrer la réunion',
    'mod.stop-recording': 'Arrêter l’enregistrement',
    'mod.password-new': 'Nouveau mot de passe de la salle',
    'mod.password-set': 'Définir',
    'mod.password-remove': 'Supprimer',
    'mod.password-done': 'Mot de passe défini : les nouveaux arrivants devront le donner.',
    'mod.password-removed': 'Mot de passe supprimé.',
    'mod.give-floor': 'Donner la parole',
    'mod.give-floor-to': 'Donner la parole à {name}',
    'mod.take-floor': 'Reprendre la parole',
    'mod.take-floor-from': 'Reprendre la parole à {name}',
    'mod.mute': 'Couper le micro',
    'mod.mute-who': 'Couper le micro de {name}',
    'mod.remove': 'Retirer',
    'mod.remove-who': 'Retirer {name} de la réunion',

    'layout.grid': 'Mosaïque : tout le monde à égalité',
    'layout.speaker': 'Orateur : la personne qui parle en grand',
    'layout.lecture': 'Conférence : vous et votre écran en grand, les autres en sourdine',

    'password.length': 'Un mot de passe compte de 1 à 128 caractères.',
    'password.chars':
        'Un mot de passe n’utilise que des lettres, des chiffres, des espaces et la ' +
        'ponctuation ASCII.',
    'password.space': 'Un mot de passe ne peut ni commencer ni finir par une espace.',

    'lobby.title': 'Salle d’attente',
    'lobby.who': 'Qui passe par la salle d’attente',
    'lobby.no': 'Personne : tout le monde entre',
    'lobby.yes': 'Tout le monde sauf les modérateurs',
    'lobby.all':
        'Tout le monde sauf les modérateurs, y compris les applications avec le mot de passe',
    'lobby.empty': 'Personne n’attend.',
    'lobby.admit-all': 'Tout admettre',
    'lobby.denied': 'Personnes refusées',
    'lobby.someone': 'quelqu’un',
    'lobby.waited-now': 'attend depuis un instant',
    'lobby.waited': { one: 'attend depuis {count} minute', other: 'attend depuis {count} minutes' },
    'lobby.admit': 'Admettre',
    'lobby.admit-who': 'Admettre {name}',
    'lobby.deny': 'Refuser',
    'lobby.deny-who': 'Refuser {name}',
    'lobby.let-back': 'Réautoriser',
    'lobby.let-back-who': 'Permettre à {name} de frapper de nouveau',
    'lobby.one-waits': '{name} attend dans la salle d’attente.',
    'lobby.many-wait': {
        one: '{count} personne attend dans la salle d’attente.',
        other: '{count} personnes attendent dans la salle d’attente.',
    },

    'breakout.title': 'Sous-groupes',
    'breakout.groups': 'Groupes',
    'breakout.assign': 'Qui va où',
    'breakout.random': 'Au hasard',
    'breakout.by-hand': 'À la main',
    'breakout.minutes': 'Minutes (0 : jusqu’à la fermeture)',
    'breakout.open': 'Ouvrir les groupes',
    'breakout.broadcast': 'Message à tous les groupes',
    'breakout.close': 'Fermer les groupes',
    'breakout.back': 'Retour à la salle principale',
    'breakout.back-in-main': 'Vous êtes de retour dans la salle principale.',
    'breakout.time-left': 'reste {time}',
    'breakout.in': 'Vous êtes dans le groupe {group} sur {groups}.',
    'breakout.in-for': 'Vous êtes dans le groupe {group} sur {groups}, pour {time}.',
    'breakout.in-minute': 'Vous êtes dans le groupe {group} sur {groups} : plus qu’une minute.',
    'breakout.visit': 'Vous visitez le groupe {group} sur {groups}.',
    'breakout.visit-minute':
        'Vous visitez le groupe {group} sur {groups} : plus qu’une minute.',
    'breakout.stays': 'Reste dans la salle principale',
    'breakout.group': 'Groupe {group}',
    'breakout.members': 'Groupe {group} : {members}',
    'breakout.nobody': 'Groupe {group} : personne',
    'breakout.visit-button': 'Visiter',
    'breakout.visit-group': 'Visiter le groupe {group}',
    'breakout.bad-groups': 'Choisissez de 2 à 20 groupes.',
    'breakout.bad-minutes': 'Une durée va de 0 (sans limite) à 240 minutes.',
    'breakout.opened': {
        one: '{count} groupe est ouvert.',
        other: '{count} groupes sont ouverts.',
    },
    'breakout.sent': 'Envoyé à tous les groupes.',
    'breakout.closed': 'Les groupes sont fermés : tout le monde revient.',

    'recording.on': 'Cette réunion est enregistrée.',
    'recording.off': 'L’enregistrement est arrêté.',
    'recording.failed': 'L’enregistrement s’est arrêté : le serveur n’a pas pu l’écrire.',

    'share.stopped': 'Vous avez arrêté de partager votre écran.',
    'share.wait': 'Attendez la connexion avant de partager.',
    'share.ended': 'Le partage d’écran est terminé.',
    'share.on': 'Vous partagez votre écran.',
    'share.failed': 'Impossible de partager l’écran : {reason}',
    'share.lost': 'Partage d’écran arrêté : la connexion a échoué.',
    'share.interrupted': 'Partage d’écran arrêté : {reason}',
    'share.unsupported': 'Ce navigateur ne peut pas partager d’écran.',
    'share.cancelled': 'Le partage d’écran a été annulé.',
    'share.cannot': 'Impossible de partager l’écran.',

    'link.connected': 'Connecté.',
    'link.reconnected': 'Reconnecté.',
    'link.interrupted': 'La connexion est interrompue…',
    'lost.no-connection': 'aucune connexion au serveur',
    'lost.interrupted': 'la connexion a été interrompue',
    'lost.failed': 'la connexion a échoué',
    'lost.no-answer': 'le serveur ne répond plus',
    'lost.session-gone': 'le serveur ne connaît plus cette session',
    'lost.unreachable': 'le serveur est injoignable',
    'lost.shutting-down': 'le serveur s’arrête',

    'rejoin.shutdown': 'Le serveur s’arrête.',
    'rejoin.shutdown-why': 'Le serveur s’arrête',
    'rejoin.next': 'Reconnexion… ({why}) Prochain essai dans {seconds} s.',
    'rejoin.next-plain': 'Reconnexion… Prochain essai dans {seconds} s.',
    'rejoin.try': 'Reconnexion… (essai {count})',
    'rejoin.connecting': 'Salle rejointe de nouveau ; connexion en cours…',

    'quality.checking': 'Connexion : vérification',
    'quality.connecting': 'Connexion : en cours',
    'quality.interrupted': 'Connexion : interrompue',
    'quality.lost': 'Connexion : perdue',
    'quality.server-stopped': 'Connexion : serveur arrêté',
    'quality.good': 'Connexion : bonne',
    'quality.fair': 'Connexion : moyenne',
    'quality.poor': 'Connexion : mauvaise',
    'quality.with-path': '{quality}, {path}',
    'quality.nothing': 'rien n’est reçu',
    'quality.relay': 'connecté par un relais',
    'quality.tcp': 'connecté en TCP',
    'quality.loss': 'pertes {pct} %',
    'quality.rtt': 'aller-retour {ms} ms',
    'quality.jitter': 'gigue {ms} ms',

    'command.refused-wait': '{reason} Réessayez dans {seconds} s.',

    'error.http': 'Le serveur a refusé la demande (HTTP {status}).',
    'error.http-401': 'Cette salle demande un mot de passe.',
    'error.http-403': 'Le serveur a refusé (HTTP 403).',
    'error.http-404': 'Le serveur ne connaît pas cette salle ou cette session (HTTP 404).',
    'error.http-429': 'Trop de changements d’affilée.',
    'error.http-503': 'Le serveur est plein ou occupé ; réessayez plus tard.',
    'error.bad-password': 'Le mot de passe est incorrect.',
    'error.room-locked': 'La salle est verrouillée : personne ne peut plus entrer.',
    'error.room-full': 'La salle est pleine.',
    'error.network': 'Le serveur est injoignable.',
    'error.no-answer': 'Le serveur n’a pas répondu à temps.',
    'error.unreachable': 'Le serveur est injoignable.',
    'error.bad-answer': 'La réponse du serveur n’a pas pu être utilisée par ce navigateur.',
    'error.lobby-denied': 'Un modérateur vous a refusé l’accès à cette réunion.',
    'error.lobby-expired': 'Personne ne vous a fait entrer à temps.',
    'error.lobby-ended': 'La réunion est terminée.',
    'error.lobby-gone': 'La salle d’attente n’existe plus.',
    'error.shutting-down': 'Le serveur s’arrête.',
};
